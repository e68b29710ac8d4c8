exchange "acme" {
  endpoints = {
    rest = "https://trader:hunter2@api.acme.test"
  }
}
