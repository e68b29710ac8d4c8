exchange "acme" {
  endpoints = {
    spot = "https://api.acme.test"
    rest = "https://api.acme.test/?x=1"
  }
}
