cluster {
  host_id   = "host one"
  lease_ttl = "1s"
}
