api {
  public_url = "https://user:pw@hub.example.com"
}
