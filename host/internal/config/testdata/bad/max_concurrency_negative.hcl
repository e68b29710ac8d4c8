sync {
  max_concurrency = -4
}
