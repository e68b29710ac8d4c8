sync {
  interval = "10s"
  jitter   = "10s"
}
