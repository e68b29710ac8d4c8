exchange "acme" {
  endpoints = {
    Rest = "https://api.acme.test"
  }
}
