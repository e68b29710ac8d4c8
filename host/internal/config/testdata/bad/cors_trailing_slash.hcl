api {
  cors_allowed_origins = ["http://localhost:5173", "https://dash.example.test/"]
}
