// Package bitget is the gahost connector for Bitget spot and USDT-margined
// perpetual futures (product type USDT-FUTURES), over the V2 private REST
// API for Classic accounts and the V3 API for Unified Trading Accounts
// (UTA), as Bitget documents them; docs/exchanges.md says what the
// connector does with each part.
//
// Files follow the exchange's areas: sign.go (the ACCESS-* headers and
// their HMAC, the server clock), envelope.go (the frame of every answer
// and Bitget's string-or-number fields), errors.go (the error table,
// rate-limit and ban answers, the remaining-calls header), account.go
// (credentials check, spot balances, futures wallet), positions.go,
// orders.go, symbols.go and info.go for Classic accounts; uta.go for the
// same over V3; mode.go tells a key's account mode and routes each call. What is not Bitget's own — the signed
// HTTP client, clock offset, usage reporting, decimals, symbols — comes
// from the sdk.
//
// Bitget has no REST testnet: a gahost testnet account is a Bitget Demo
// Trading key, used on the same host with the header "paptrading: 1".
// Classic and UTA keys are refused by each other's API with codes
// that name the mode, which is how the connector learns a key's
// mode: from the first call, remembered per key.
//
// The connector holds no credentials: they arrive with every call in
// sdk.Account and are used only to sign that call. It must never log or
// return a key, secret, passphrase or signature.
package bitget
