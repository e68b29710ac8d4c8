api {
  metrics_listen = "localhost"
}
