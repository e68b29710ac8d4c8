api {
  listen {
  }
}
