// Package rest is the signed HTTP client every exchange connector shares.
//
// A connector describes its exchange once in a Config: the base URLs per
// endpoint key (mainnet and testnet, overridable per account), how to sign
// a request, how to read the rate-limit headers, how to turn an answer into
// a typed error, and where the server-time endpoint is. The Client then
// does the rest the same way for every exchange:
//
//   - picks the base URL: Account.Endpoints override, else testnet or
//     mainnet default;
//   - keeps a clock offset per base URL, measured from the server-time
//     endpoint at the midpoint of the round trip, signs with corrected time,
//     and on a clock-skew answer resyncs once and retries;
//   - reports the rate-limit usage of every answer with sdk.ReportUsage;
//   - bounds every call by the context deadline (or a default one) and
//     every answer by a size limit;
//   - in order mode (Request.Order) turns a 5xx, a 408, a timeout or a
//     broken connection after the request was written into
//     sdk.KindUnknownOutcome, because the order may have been placed;
//   - never puts a URL query, a header value, a key, a secret, a
//     passphrase or a signature into an error or a log line.
//
// It must not hold anything exchange-specific: header names, error codes
// and paths belong in the connector's Config hooks.
package rest
