// Package webhooks is the webhooks service: it holds every rule of
// webhooks, the endpoints that turn alerts (a TradingView alert, a script)
// into orders on an exchange account.
//
// The owner's side (Service.Create, Update, Delete, Deliveries, Test): names,
// markets, allowed symbols and max_notional are checked here; a webhook's
// public token and its secret are minted here, shown once, and handed to the
// store only as the token's hash and the secret sealed under the master key;
// rotation replaces either in one store transaction.
//
// The alert's side (Service.Deliver): it authenticates an alert by its
// webhook's token and secret, parses it strictly, applies the webhook's
// limits, makes each alert id place at most one order, places the order
// through the exchange's plugin and records every delivery.
//
// The path of an alert (Service.Deliver):
//
//  1. The token is looked up by its hash; the secret in the body is compared
//     in constant time with the webhook's sealed secret. An unknown token
//     does the same work against a dummy secret, so the two answers differ
//     in time by the lookup only.
//  2. A per-webhook rate limit (30 a minute by default) turns floods away
//     before anything is written.
//  3. The body is decoded strictly (unknown fields, floats written as
//     exponents, ambiguous amounts are errors) and checked against the
//     webhook's market. A missing type is a market order, as TradingView
//     strategy alerts send none.
//  4. The alert is judged (plan.go), stopping at the first rule that
//     refuses it: the webhook's owner is enabled, the account exists and
//     is active, its plugin places orders; the ticker (TradingView's
//     BTCUSDT, BTCUSDT.P or BINANCE:BTCUSDT.P, the exchange's own name,
//     or a unified symbol) is matched against the exchange's instrument
//     list for the webhook's market (resolve.go, cached in market.go) and
//     the match recorded; allowed symbols; the instrument takes orders;
//     the order is built (a close from the latest snapshot), its quantity
//     rounded down to the lot step and a limit price to the tick in the
//     safe direction for its side, then held to the instrument's minimum
//     quantity and value; and max_notional, computed at the worse of the
//     limit price and the current price (the plugin's mark or last price,
//     else the latest snapshot's position mark price). When no price is
//     known where one is needed the order is refused: an order whose size
//     cannot be bounded is never placed under a limit. "close" orders are
//     exempt from max_notional and the minimum value: they only shrink
//     exposure.
//  5. The delivery is recorded, and its alert id claimed, in one store
//     transaction before the order is sent: of two alerts with one id, the
//     second is recorded as a duplicate of the first and sends nothing.
//  6. The order goes out with a deadline that the caller leaving does not
//     cut (TradingView gives up after 3 s; an order cancelled half-way would
//     have an unknown outcome). Its client order id derives from the
//     webhook id and the alert id, so the exchange's own duplicate check
//     backs up ours.
//
// Service.Test judges an alert exactly as Deliver would, running every check
// it can and recording the verdict as a delivery with status test; it
// places nothing and claims no alert id.
//
// An alert id is claimed by the first authenticated delivery that carries
// it, whatever became of that delivery (rejected and failed ones too):
// sending the id again is always a duplicate, so a retry needs a new id.
// Alerts without an id are deduplicated only by their body, within the
// replay window (replay.go): identical alerts further apart are often meant
// (a fixed TradingView message firing every bar).
//
// A close reads the position or free balance from the latest snapshot, at
// most one sync interval old; reduce-only keeps a stale futures size from
// flipping a position. It sets no position side, so an account in hedge mode
// with positions on both sides is refused rather than guessed at.
//
// An order whose outcome is unknown (sdk.KindUnknownOutcome, an untyped
// transport error, a deadline) is recorded as failed with code
// unknown_outcome and is never retried: it may have been placed.
//
// This package must not log or record a token, a secret, a credential or an
// alert body; it knows nothing about HTTP (the api package maps its errors to
// answers) and names no exchange.
package webhooks
