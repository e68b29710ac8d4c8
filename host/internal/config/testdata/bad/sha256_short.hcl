exchange "acme" {
  sha256 = "abc123"
}
