exchange "binance" {
  max_streamed_accounts = 0
}
