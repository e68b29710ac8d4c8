api {
  read_timeout = "0s"
}
