exchange "Acme" {
}
