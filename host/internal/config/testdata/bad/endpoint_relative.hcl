exchange "acme" {
  endpoints = {
    rest = "api.acme.test"
  }
}
