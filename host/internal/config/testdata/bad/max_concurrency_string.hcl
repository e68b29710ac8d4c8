sync {
  max_concurrency = "64"
}
