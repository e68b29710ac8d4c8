store {
  backend = "postgres"
  dsn     = "db.example.com Hunter2Secret"
}
