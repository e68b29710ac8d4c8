api {
  listen = "127.0.0.1:8080"
}
api {
  listen = "127.0.0.1:9090"
}
