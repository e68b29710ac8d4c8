sync {
  interval = "0s"
}
