package fake

import (
	"encoding/json"
	"strings"
	"testing"
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
	tests := []struct {
		name  string
		hedge bool
		body  string
		code  string
	}{
		{"spot market buy", false, `{"category":"SPOT","symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market"}`, "00000"},
		{"no category", false, `{"symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market"}`, "40019"},
		{"lower-case category", false, `{"category":"spot","symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market"}`, "40020"},
		{"V2's size instead of qty", false, `{"category":"SPOT","symbol":"BTCUSDT","size":"100","side":"buy","orderType":"market"}`, "40019"},
		{"V2's upper-case reduceOnly", false, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","reduceOnly":"NO"}`, "40020"},
		{"unknown timeInForce", false, `{"category":"SPOT","symbol":"BTCUSDT","qty":"0.001","price":"1000","side":"buy","orderType":"limit","timeInForce":"day"}`, "40020"},
		{"limit without price", false, `{"category":"SPOT","symbol":"BTCUSDT","qty":"0.001","side":"buy","orderType":"limit"}`, "40019"},
		{"posSide on spot", false, `{"category":"SPOT","symbol":"BTCUSDT","qty":"100","side":"buy","orderType":"market","posSide":"long"}`, "40020"},
		{"futures one-way open", false, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","reduceOnly":"no"}`, "00000"},
		{"futures one-way close without a position", false, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"sell","orderType":"market","reduceOnly":"yes"}`, "22002"},
		{"hedge mode needs posSide", true, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market"}`, "40019"},
		{"hedge mode open long", true, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","posSide":"long"}`, "00000"},
		{"hedge mode: selling the long closes it", true, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"sell","orderType":"market","posSide":"long"}`, "22002"},
		{"bad margin mode", false, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"0.01","side":"buy","orderType":"market","marginMode":"cross"}`, "40020"},
		{"margin short", false, `{"category":"USDT-FUTURES","symbol":"BTCUSDT","qty":"1","side":"buy","orderType":"market"}`, "40762"},
		{"unknown symbol", false, `{"category":"USDT-FUTURES","symbol":"NOPEUSDT","qty":"1","side":"buy","orderType":"market"}`, "40034"},
		{"coin-margined futures are not served", false, `{"category":"COIN-FUTURES","symbol":"BTCUSD","qty":"1","side":"buy","orderType":"market"}`, "40020"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newUTAFake(t, tt.hedge)
			got := send(t, s, request{"POST", PathUTAPlace, "", tt.body, signed(vectorTime, "POST", PathUTAPlace, "", tt.body)})
			if got.Code != tt.code {
				t.Fatalf("got %d %s %q, want %s", got.Status, got.Code, got.Msg, tt.code)
			}
		})
	}
}
