sync {
  call_timeout = 30
}
