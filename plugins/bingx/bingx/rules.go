package bingx

import (
	"context"
	"sync"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/symbol"
	"github.com/shopspring/decimal"
)

// rule is what an order must respect on one symbol: the price and
// quantity steps. BingX truncates finer values silently instead of
// rejecting them, so an order is checked before it is sent; a zero
// step means BingX published none.
type rule struct {
	tick, step decimal.Decimal
}

// check rejects a quantity or price finer than the symbol's steps.
func (r rule) check(raw string, qty, price decimal.Decimal) error {
	if !r.step.IsZero() && !qty.Mod(r.step).IsZero() {
		return sdk.Errorf(sdk.KindInvalidRequest,
			"bingx: quantity %s is finer than %s's step of %s; BingX would truncate it, so round it first", qty, raw, r.step)
	}
	if !r.tick.IsZero() && !price.Mod(r.tick).IsZero() {
		return sdk.Errorf(sdk.KindInvalidRequest,
			"bingx: price %s is finer than %s's tick of %s; BingX would truncate it, so round it first", price, raw, r.tick)
	}
	return nil
}

// ruleCache keeps rules per base URL, market and symbol. They are public
// and change rarely; caching them keeps an order to one signed call.
type ruleCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedRule
}

type cachedRule struct {
	r  rule
	at time.Time
}

// maxRules bounds the cache; past it, it starts again from empty.
const maxRules = 4096

func newRuleCache(ttl time.Duration) *ruleCache {
	return &ruleCache{ttl: ttl, m: map[string]cachedRule{}}
}

func (c *ruleCache) get(key string, now time.Time) (rule, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) >= c.ttl {
		return rule{}, false
	}
	return e.r, true
}

func (c *ruleCache) put(key string, r rule, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxRules {
		c.m = map[string]cachedRule{}
	}
	c.m[key] = cachedRule{r, now}
}

// symbolRule returns the rules of sym on mkt; a symbol BingX does not
// list is KindUnknownSymbol, found without placing anything.
func (c *Connector) symbolRule(ctx context.Context, acct sdk.Account, mkt sdk.Market, sym symbol.Symbol) (rule, error) {
	base, err := c.http.BaseURL(acct, EndpointREST)
	if err != nil {
		return rule{}, err
	}
	raw := rawSymbol(sym)
	key := base + " " + string(mkt) + " " + raw
	now := time.Now()
	if r, ok := c.rules.get(key, now); ok {
		return r, nil
	}
	var r rule
	if mkt == sdk.MarketSpot {
		r, err = c.spotRule(ctx, acct, raw)
	} else {
		r, err = c.swapRule(ctx, acct, raw)
	}
	if err != nil {
		return rule{}, err
	}
	c.rules.put(key, r, now)
	return r, nil
}

// contract is one row of GET /openApi/swap/v2/quote/contracts:
// no tick or step, only the number of decimals of each.
type contract struct {
	Symbol            string `json:"symbol"`
	QuantityPrecision number `json:"quantityPrecision"`
	PricePrecision    number `json:"pricePrecision"`
}

func (c *Connector) swapRule(ctx context.Context, acct sdk.Account, raw string) (rule, error) {
	rows, err := call[[]contract](ctx, c, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathContracts, Query: rest.Params{}.Add("symbol", raw),
	})
	if err != nil {
		return rule{}, err
	}
	for _, row := range rows {
		if row.Symbol != raw {
			continue
		}
		step, err1 := precisionStep(row.QuantityPrecision)
		tick, err2 := precisionStep(row.PricePrecision)
		if err1 != nil || err2 != nil {
			return rule{}, rest.Malformed("bingx", "contract "+raw, firstErr(err1, err2))
		}
		return rule{tick: tick, step: step}, nil
	}
	return rule{}, sdk.Errorf(sdk.KindUnknownSymbol, "bingx: BingX lists no perpetual %s", raw)
}

// precisionStep turns a number of decimals into a step: 4 is 0.0001.
func precisionStep(n number) (decimal.Decimal, error) {
	if !n.set {
		return decimal.Zero, nil
	}
	d, err := n.decimal()
	if err != nil {
		return decimal.Zero, err
	}
	if !d.IsInteger() || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(18)) {
		return decimal.Zero, sdk.Errorf(sdk.KindUnknown, "precision %s out of range", d)
	}
	return decimal.New(1, -int32(d.IntPart())), nil
}

// spotSymbol is one row of GET /openApi/spot/v1/common/symbols:
// numbers, sometimes in exponent form.
type spotSymbol struct {
	Symbol   string `json:"symbol"`
	TickSize number `json:"tickSize"`
	StepSize number `json:"stepSize"`
}

func (c *Connector) spotRule(ctx context.Context, acct sdk.Account, raw string) (rule, error) {
	ans, err := call[struct {
		Symbols []spotSymbol `json:"symbols"`
	}](ctx, c, acct, rest.Request{
		Method: "GET", Endpoint: EndpointREST, Path: pathSpotSymbols, Query: rest.Params{}.Add("symbol", raw),
	})
	if err != nil {
		return rule{}, err
	}
	for _, row := range ans.Symbols {
		if row.Symbol != raw {
			continue
		}
		var f fields
		r := rule{tick: f.decOrZero("tickSize", row.TickSize), step: f.decOrZero("stepSize", row.StepSize)}
		if f.err != nil {
			return rule{}, rest.Malformed("bingx", "spot symbol "+raw, f.err)
		}
		if r.tick.IsNegative() || r.step.IsNegative() {
			return rule{}, rest.Malformed("bingx", "spot symbol "+raw, sdk.Errorf(sdk.KindUnknown, "negative step"))
		}
		return r, nil
	}
	return rule{}, sdk.Errorf(sdk.KindUnknownSymbol, "bingx: BingX lists no spot market %s", raw)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
