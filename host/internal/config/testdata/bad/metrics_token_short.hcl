api {
  metrics_token = "short"
}
