package okx_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk"
)

// redirector sends every request to the fake instead of the host it was
// built for, and remembers that host.
type redirector struct {
	to    *url.URL
	mu    sync.Mutex
	hosts []string
	demo  []string
}

func (r *redirector) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.URL.Scheme+"://"+req.URL.Host)
	r.demo = append(r.demo, req.Header.Get("x-simulated-trading"))
	r.mu.Unlock()
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = r.to.Scheme, r.to.Host, ""
	return http.DefaultTransport.RoundTrip(out)
}

// TestDefaultHost: without an override, live and demo accounts both go to
// www.okx.com; the demo header alone selects demo trading.
func TestDefaultHost(t *testing.T) {
	for _, demo := range []bool{false, true} {
		fx := fake.New()
		t.Cleanup(fx.Close)
		fx.AddKey(fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase, Trade: true, Demo: demo})
		to, _ := url.Parse(fx.URL())
		rt := &redirector{to: to}
		c := okx.New(sdk.WithHTTPClient(&http.Client{Transport: rt}))
		e := newEnv(t)
		e.Acct.Endpoints, e.Acct.Testnet = nil, demo
		if _, err := c.SpotBalances(ctx(t), e.Acct); err != nil {
			t.Fatalf("demo=%v: %v", demo, err)
		}
		if len(rt.hosts) != 2 { // server time, then the balance
			t.Fatalf("requests %v", rt.hosts)
		}
		for _, h := range rt.hosts {
			if h != "https://www.okx.com" {
				t.Errorf("host %s, want https://www.okx.com", h)
			}
		}
		want := ""
		if demo {
			want = "1"
		}
		if rt.demo[1] != want {
			t.Errorf("demo=%v: x-simulated-trading %q on the signed call", demo, rt.demo[1])
		}
	}
}
