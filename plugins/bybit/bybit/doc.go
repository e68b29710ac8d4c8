// Package bybit is the gahost connector for Bybit's V5 private REST API:
// spot and USDT perpetuals ("linear") of a Unified Trading Account, as
// Bybit documents it; docs/exchanges.md says what the connector does
// with each part.
//
// Files follow the exchange's areas: sign.go (HMAC signing with the
// X-BAPI-* headers, the server clock), errors.go (the error table, the
// envelope and the rate-limit headers), account.go (credentials check,
// wallet balance), positions.go, orders.go, symbols.go and info.go.
// Everything that is not Bybit's own — the signed HTTP client, clock
// offset, usage reporting, decimals, symbols — comes from the sdk.
//
// In a Unified Trading Account spot and derivatives share one wallet, so
// the spot balances and the futures account are two readings of the same
// GET /v5/account/wallet-balance answer.
//
// The connector holds no credentials: they arrive with every call in
// sdk.Account and are used only to sign that call. It must never log or
// return a key, secret or signature.
package bybit
