api {
  listen = 8080
}
