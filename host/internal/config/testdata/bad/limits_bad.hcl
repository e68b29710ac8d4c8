limits {
  accounts_per_user = 1000001
  webhooks_per_user = 2.5
}
