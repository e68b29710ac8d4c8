api {
  public_url = "hub.example.com"
}
