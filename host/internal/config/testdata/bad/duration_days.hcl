history {
  keep_all = "7d"
}
