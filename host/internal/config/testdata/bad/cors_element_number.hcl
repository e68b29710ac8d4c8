api {
  cors_allowed_origins = [
    "http://localhost:5173",
    5173,
  ]
}
