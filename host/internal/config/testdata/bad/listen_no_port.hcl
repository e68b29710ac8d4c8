api {
  listen = "localhost"
}
