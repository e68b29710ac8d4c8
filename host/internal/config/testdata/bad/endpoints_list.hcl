exchange "acme" {
  endpoints = ["https://api.acme.test"]
}
