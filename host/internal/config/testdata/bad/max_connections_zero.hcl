api {
  max_connections = 0
}
