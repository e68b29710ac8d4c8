api {
  public_url = "https://hub.example.com/?x=1"
}
