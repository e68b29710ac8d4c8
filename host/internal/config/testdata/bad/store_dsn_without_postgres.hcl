store {
  dsn = "postgres://gahost:Hunter2Secret@db/gahost"
}
