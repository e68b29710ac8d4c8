exchange "acme" {
}

exchange "zeta" {
}

exchange "acme" {
  sha256 = "ab"
}
