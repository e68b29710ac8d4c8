package fake

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk/fakex"
)

// newUTAFake is newVectorFake with the vector key in UTA mode and a
// funded unified wallet.
func newUTAFake(t *testing.T, hedge bool) *Server {
	t.Helper()
	s := newVectorFake(t)
	s.AddKey(UTAKey(vectorKey, vectorSecret, vectorPass))
	s.Update(vectorKey, func(a *Account) {
		a.Assets = []Asset{{Coin: "USDT", Balance: "1000", Available: "1000"}}
		a.HedgeMode = hedge
	})
	return s
}

// TestAccountModes: each API refuses the other mode's keys with the code
// that names the key's mode, and serves its own.
func TestAccountModes(t *testing.T) {
	tests := []struct {
		name       string
		uta        bool
		path, code string
	}{
		{"classic key on V2", false, PathSpotAssets, "00000"},
		{"classic key on V3", false, PathUTAAssets, "40084"},
		{"classic key on V3 account info", false, PathUTAInfo, "40084"},
		{"UTA key on V3", true, PathUTAAssets, "00000"},
		{"UTA key on V2", true, PathSpotAssets, "40085"},
		{"UTA key on V2 account info", true, PathAccountInfo, "40085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVectorFake(t)
			if tt.uta {
				s.AddKey(UTAKey(vectorKey, vectorSecret, vectorPass))
			}
			got := send(t, s, request{"GET", tt.path, "", "", signed(vectorTime, "GET", tt.path, "", "")})
			if got.Code != tt.code {
				t.Fatalf("got %d %s %q, want %s", got.Status, got.Code, got.Msg, tt.code)
			}
		})
	}
}

// TestUTAPermissions: reading needs uta_mgt or uta_trade, trading
// uta_trade; account info answers any valid key and tells its permType.
func TestUTAPermissions(t *testing.T) {
	const order = `{"category":"SPOT","symbol":"BTCUSDT","qty":"10","side":"buy","orderType":"market"}`
	tests := []struct {
		name, method, path, body string
		perms                    []string
		code, permType           string
	}{
		{"read-only key reads", "GET", PathUTAAssets, "", []string{PermUTAManage}, "00000", ""},
		{"read-only key may not trade", "POST", PathUTAPlace, order, []string{PermUTAManage}, "40014", ""},
		{"trade key reads", "GET", PathUTASettings, "", []string{PermUTATrade}, "00000", ""},
		{"trade key trades", "POST", PathUTAPlace, order, []string{PermUTATrade}, "00000", ""},
		{"a key without UTA codes may not read", "GET", PathUTAPositions + "?category=USDT-FUTURES", "", []string{"stor"}, "40014", ""},
		{"its info says read-only", "GET", PathUTAInfo, "", []string{PermUTAManage}, "00000", "read-only"},
		{"its info says read-and-write", "GET", PathUTAInfo, "", []string{PermUTAManage, PermUTATrade}, "00000", "read-and-write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newUTAFake(t, false)
			k := UTAKey(vectorKey, vectorSecret, vectorPass)
			k.Authorities = tt.perms
			s.AddKey(k)
			path, query, _ := strings.Cut(tt.path, "?")
			got := send(t, s, request{tt.method, path, query, tt.body, signed(vectorTime, tt.method, path, query, tt.body)})
			if got.Code != tt.code {
				t.Fatalf("got %d %s %q, want %s", got.Status, got.Code, got.Msg, tt.code)
			}
			if tt.permType != "" {
				var info struct {
					PermType    string   `json:"permType"`
					Permissions []string `json:"permissions"`
				}
				if err := json.Unmarshal(got.Data, &info); err != nil || info.PermType != tt.permType || len(info.Permissions) != len(tt.perms) {
					t.Fatalf("info %s: %+v, %v", got.Data, info, err)
				}
			}
		})
	}
}

// TestUTAOrderChecks: V3's fields are checked as the digest gives them.
func TestUTAOrderChecks(t *testing.T) {
	// Bitget answers an order it refuses with HTTP 400.
	order := func(name, body, code string) fakex.Case {
		status := http.StatusBadRequest
		if code == "00000" {
			status = http.StatusOK
		}
		return fakex.Case{Name: name, Method: "POST", Path: PathUTAPlace, Body: body,
			Header: signed(vectorTime, "POST", PathUTAPlace, "", body), Status: status, Code: code}
	}
	oneWay := []fakex.Case{
		order("spot market buy", `{"category":"SPOT","symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market"}`, "00000"),
		order("no category", `{"symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market"}`, "40019"),
		order("lower-case category", `{"category":"spot","symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market"}`, "40020"),
		order("V2's size instead of qty", `{"category":"SPOT","symbol":"BTCUSDT","size":"100","side":"buy","orderType":"market"}`, "40019"),
		order("V2's upper-case reduceOnly", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","reduceOnly":"NO"}`, "40020"),
		order("unknown timeInForce", `{"category":"SPOT","symbol":"BTCUSDT","qty":"0.001","price":"1000","side":"buy","orderType":"limit","timeInForce":"day"}`, "40020"),
		order("limit without price", `{"category":"SPOT","symbol":"BTCUSDT","qty":"0.001","side":"buy","orderType":"limit"}`, "40019"),
		order("posSide on spot", `{"category":"SPOT","symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market","posSide":"long"}`, "40020"),
		order("futures one-way open", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","reduceOnly":"no"}`, "00000"),
		order("futures one-way close without a position", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"sell","orderType":"market","reduceOnly":"yes"}`, "22002"),
		order("bad margin mode", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","marginMode":"cross"}`, "40020"),
		order("margin short", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"1","side":"buy","orderType":"market"}`, "40762"),
		order("below the minimum order value", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.00001","side":"buy","orderType":"market"}`, "45110"),
		order("unknown symbol", `{"category":"USDT-FUTURES","symbol":"NOPEUSDT","qty":"1","side":"buy","orderType":"market"}`, "40034"),
		order("coin-margined futures are not served", `{"category":"COIN-FUTURES","symbol":"BTCUSD","qty":"1","side":"buy","orderType":"market"}`, "40020"),
	}
	hedge := []fakex.Case{
		order("hedge mode needs posSide", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market"}`, "40019"),
		order("hedge mode open long", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","posSide":"long"}`, "00000"),
		order("hedge mode: selling the long closes it", `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"sell","orderType":"market","posSide":"long"}`, "22002"),
	}
	envelope.RunEach(t, func(t *testing.T) string { return newUTAFake(t, false).URL() }, oneWay)
	envelope.RunEach(t, func(t *testing.T) string { return newUTAFake(t, true).URL() }, hedge)
}

// TestUTAOneWayFlip: in one-way mode a market order against a long first
// closes it, and what is left opens a short.
func TestUTAOneWayFlip(t *testing.T) {
	s := newUTAFake(t, false)
	for _, body := range []string{
		`{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market"}`,
		`{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.03","side":"sell","orderType":"market"}`,
	} {
		if got := send(t, s, request{"POST", PathUTAPlace, "", body, signed(vectorTime, "POST", PathUTAPlace, "", body)}); got.Code != "00000" {
			t.Fatalf("%s: %+v", body, got)
		}
	}
	if p := s.Account(vectorKey).Positions; len(p) != 1 || p[0].HoldSide != "short" || p[0].Total != "0.02" {
		t.Fatalf("positions %+v, want a short of 0.02 alone", p)
	}
}
