sync {
  max_concurrency = 0
}
