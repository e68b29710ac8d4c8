log_level = "loud"

api {
  listen = 8080
}

sync {
  interval        = "30 seconds"
  max_concurrency = 0
}

exchange "acme" {
  sha256 = "nope"
}
