sync {
  intervall = "1s"
}
