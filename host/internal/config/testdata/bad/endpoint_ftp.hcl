exchange "acme" {
  endpoints = { rest = "ftp://api.acme.test" }
}
