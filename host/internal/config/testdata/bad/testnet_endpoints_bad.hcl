exchange "acme" {
  testnet_endpoints = {
    REST = "https://testnet.acme.test"
    rest = "ftp://testnet.acme.test"
  }
}
