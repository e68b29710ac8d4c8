api {
  public_url = "ftp://hub.example.com"
}
