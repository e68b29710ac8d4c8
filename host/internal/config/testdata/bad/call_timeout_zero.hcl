sync {
  call_timeout = "0"
}
