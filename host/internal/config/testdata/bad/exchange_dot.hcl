exchange "acme.v2" {
}
