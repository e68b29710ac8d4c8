sync {
  interval = "30 seconds"
}
