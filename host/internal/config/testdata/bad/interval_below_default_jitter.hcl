sync {
  interval = "3s"
}
