package plugintest

import (
	"context"
	"net/url"
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

// Env is what a connector's own tests start from: the connector, the
// fake exchange it talks to, and an account on the fake.
type Env[F any, C sdk.Exchange] struct {
	Fake F
	C    C
	Acct sdk.Account
}

// FakeServer is what NewEnv needs of a fake exchange: where it listens,
// and how to stop it.
type FakeServer interface {
	URL() string
	Close()
}

// NewEnv returns an Env for c on fx with acct, and closes fx when t ends.
// Every endpoint key the connector declares that acct does not set points
// at the fake, as the host's endpoint overrides would.
func NewEnv[F FakeServer, C sdk.Exchange](t testing.TB, fx F, c C, acct sdk.Account) *Env[F, C] {
	t.Helper()
	t.Cleanup(fx.Close)
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eps := map[string]string{}
	for _, k := range info.EndpointKeys {
		eps[k] = fx.URL()
	}
	for k, v := range acct.Endpoints {
		eps[k] = v
	}
	acct.Endpoints = eps
	return &Env[F, C]{Fake: fx, C: c, Acct: acct}
}

// Arranged is e made ready for a runner's row, with check (nil for none)
// as the connector's own check of the row.
func (e *Env[F, C]) Arranged(check func(t *testing.T)) Arranged {
	return Arranged{Exchange: e.C, Account: e.Acct, Check: check}
}

// Params is a raw query or form as a map, the keys of drop left out (a
// signature, a timestamp): what a connector sent, to compare with
// CheckParams.
func Params(t *testing.T, raw string, drop ...string) map[string]string {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range drop {
		v.Del(k)
	}
	out := map[string]string{}
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}

// Bench runs call in b's loop and fails b on the first error.
func Bench(b *testing.B, call func(context.Context) error) {
	b.Helper()
	c := b.Context()
	for b.Loop() {
		if err := call(c); err != nil {
			b.Fatal(err)
		}
	}
}
