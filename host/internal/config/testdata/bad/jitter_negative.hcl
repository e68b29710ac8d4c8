sync {
  jitter = "-1s"
}
