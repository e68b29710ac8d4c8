limits {
  accounts_per_user = 0
}
