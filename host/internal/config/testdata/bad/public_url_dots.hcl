api {
  public_url = "https://hub.example.com/a/../b"
}
