exchange "acme" {
  endpoints = {
    rest = 443
  }
}
