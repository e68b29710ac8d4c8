sync {
  max_concurrency = 1.5
}
