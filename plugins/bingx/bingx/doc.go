// Package bingx is the gahost connector for BingX spot and USDT-M
// perpetual swap over the private REST API, as the exchange documents it;
// docs/exchanges.md says what the connector does with each part.
//
// Files follow the exchange's areas: sign.go (HMAC signing and the server
// clock), errors.go (the error table and rate-limit headers), decode.go
// (the answer envelope and BingX's mixed string/number fields),
// account.go (credentials check, spot balances, swap wallet),
// positions.go, orders.go, rules.go (symbol precision, checked before an
// order because BingX truncates silently), symbols.go, info.go, and
// stream.go (the private streams: listenKey, gzip frames, Ping/Pong).
// Everything that is not BingX's own — the signed HTTP client, clock
// offset, usage reporting, decimals, symbols — comes from the sdk.
//
// The demo environment ("VST", open-api-vst.bingx.com) serves the
// perpetual swap only. A testnet account therefore has no spot
// wallet: SpotBalances answers an empty list and spot orders are
// unsupported, also when the account's rest endpoint is overridden.
//
// The connector holds no credentials: they arrive with every call in
// sdk.Account and are used only to sign that call. It must never log or
// return a key, secret or signature.
package bingx
