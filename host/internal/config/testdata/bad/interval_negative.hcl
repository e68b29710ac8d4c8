sync {
  interval = "-30s"
}
