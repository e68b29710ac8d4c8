package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
	"github.com/globalautomation/gahost/sdk/sign"
)

// A connector describes its exchange once (hosts, signing, error codes,
// rate-limit headers) and then calls it with one line per endpoint. Here
// the "exchange" is a test server on 127.0.0.1 that wants a key header and
// an HMAC of the query, answers failures as {"code":..,"msg":..} and
// reports the weight used in a header.
func ExampleClient() {
	const apiKey, secret = "example-key", "example-secret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Used-Weight", "7")
		q := r.URL.Query()
		sig := q.Get("signature")
		q.Del("signature")
		switch {
		case r.Header.Get("X-Key") != apiKey:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":1001,"msg":"unknown key"}`)
		case !sign.Equal(sig, sign.Hex(secret, "timestamp="+q.Get("timestamp"))):
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":1002,"msg":"bad signature"}`)
		default:
			fmt.Fprint(w, `{"balances":[{"asset":"BTC","free":"0.12345678"}]}`)
		}
	}))
	defer srv.Close()

	client := rest.New(rest.Config{
		Exchange: "example",
		Hosts:    map[string]rest.Hosts{"rest": {Mainnet: srv.URL}},
		Sign: func(s *rest.Signing) error {
			s.Header.Set("X-Key", s.Account.APIKey)
			s.Query = rest.JoinQuery(s.Query, "timestamp="+strconv.FormatInt(s.Time.UnixMilli(), 10))
			sig := sign.Hex(s.Account.SecretKey, s.Query)
			s.Query += "&signature=" + sig
			s.Redact = append(s.Redact, sig) // never in an error
			return nil
		},
		Decode: func(r *rest.Response) error {
			var e struct {
				Code int    `json:"code"`
				Msg  string `json:"msg"`
			}
			if json.Unmarshal(r.Body, &e) != nil || e.Code == 0 {
				return nil // a success, or left to the status mapping
			}
			return r.Errorf(sdk.KindAuthentication, strconv.Itoa(e.Code), "%s", e.Msg)
		},
		Usage: func(r *rest.Response) []sdk.RateUsage {
			used, _ := strconv.ParseInt(r.Header.Get("X-Used-Weight"), 10, 64)
			return []sdk.RateUsage{{Name: "weight", Used: used, Limit: 1200, Interval: time.Minute}}
		},
	})

	// Serve installs a recorder for every call; a test installs its own to
	// see the usage the client reports.
	rec := &sdk.UsageRecorder{}
	ctx := sdk.WithUsageRecorder(context.Background(), rec)
	req := rest.Request{Method: http.MethodGet, Endpoint: "rest", Path: "/account", Signed: true}

	var out struct {
		Balances []struct{ Asset, Free string } `json:"balances"`
	}
	err := client.Do(ctx, sdk.Account{APIKey: apiKey, SecretKey: secret}, req, &out)
	fmt.Println(out.Balances, err)
	fmt.Println(rec.Usage()[0].Name, rec.Usage()[0].Used)

	err = client.Do(ctx, sdk.Account{APIKey: apiKey, SecretKey: "wrong-secret"}, req, &out)
	fmt.Println(sdk.KindOf(err), err)
	// Output:
	// [{BTC 0.12345678}] <nil>
	// weight 7
	// authentication example: GET /account: bad signature (exchange code 1002)
}
