api {
  cors_allowed_origins = [
    "localhost:5173",
    "https://me@dash.example.test",
  ]
}
