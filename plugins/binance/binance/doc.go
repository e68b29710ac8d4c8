// Package binance is the gahost connector for Binance spot and USDⓈ-M
// futures over the private REST API, as the exchange documents it;
// docs/exchanges.md says what the connector does with each part.
//
// Files follow the exchange's areas: sign.go (HMAC signing and the server
// clock), errors.go (the error table and rate-limit headers), account.go
// (credentials check, spot balances, futures wallet), positions.go,
// orders.go, symbols.go and info.go. Everything that is not Binance's own —
// the signed HTTP client, clock offset, usage reporting, decimals, symbols —
// comes from the sdk.
//
// The connector holds no credentials: they arrive with every call in
// sdk.Account and are used only to sign that call. It must never log or
// return a key, secret or signature.
package binance
