// Package okx is the gahost connector for OKX spot and USDT-margined
// perpetual swaps over the V5 private REST API, as the exchange documents it;
// docs/exchanges.md says what the connector does with each part.
//
// Files follow the exchange's areas: sign.go (OK-ACCESS-* headers, the
// base64 HMAC over timestamp+method+path+body, demo trading, the server
// clock), errors.go (the response envelope and the error table), account.go
// (credentials check, balances, the futures view of the trading account),
// positions.go, orders.go, instruments.go (contract sizes, cached),
// modes.go (account and position mode, cached for orders), symbols.go and
// info.go. Everything that is not OKX's own — the signed HTTP
// client, clock offset, decimals, symbols — comes from the sdk.
//
// OKX has one unified trading account: spot balances and the USDT margin
// of perpetuals are rows of the same GET /api/v5/account/balance answer.
// Swap sizes are counted in contracts on the wire and in base units in the
// sdk; instruments.go converts with the contract value.
//
// The connector holds no credentials: they arrive with every call in
// sdk.Account and are used only to sign that call. It must never log or
// return a key, secret, passphrase or signature.
package okx
