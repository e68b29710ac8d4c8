package bingx

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// The frames the fake does not send, in the variants the docs and ccxt
// show.
func TestParseFrameVariants(t *testing.T) {
	d := decimal.RequireFromString
	t.Run("spot event wrapped in dataType and data", func(t *testing.T) {
		m, err := parseFrame("spot", []byte(`{"code":0,"dataType":"ACCOUNT_UPDATE","data":{"E":1760067938102,"e":"ACCOUNT_UPDATE","a":{"B":[{"a":"USDT","bc":"0.00","cw":"5","wb":"5","lk":"1"}],"m":"INIT"}}}`), false)
		if err != nil || m.delta == nil || len(m.delta.Balances) != 1 || !m.delta.Balances[0].Locked.Equal(d("1")) || m.delta.At.UnixMilli() != 1760067938102 {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("both names of the order event are ignored", func(t *testing.T) {
		for _, e := range []string{"ORDER_TRADE_UPDATE", "TRADE_UPDATE", "ACCOUNT_CONFIG_UPDATE"} {
			m, err := parseFrame("swap", []byte(`{"e":"`+e+`","E":1,"o":{"i":1970374651259388000}}`), false)
			if err != nil || m.delta != nil || m.end != "" {
				t.Fatalf("%s: %+v %v", e, m, err)
			}
		}
	})
	t.Run("a flat one-way row closes both sides", func(t *testing.T) {
		m, err := parseFrame("swap", []byte(`{"e":"ACCOUNT_UPDATE","E":2,"a":{"m":"ORDER","B":[],"P":[{"s":"BTC-USDT","pa":"0","ep":"0","up":"0","mt":"isolated","ps":"BOTH"}]}}`), false)
		if err != nil || len(m.delta.Positions) != 2 || m.delta.Positions[0].Side == m.delta.Positions[1].Side {
			t.Fatalf("%+v %v", m, err)
		}
	})
	t.Run("the demo's VST row is the USDT wallet", func(t *testing.T) {
		m, err := parseFrame("swap", []byte(`{"e":"ACCOUNT_UPDATE","E":3,"a":{"m":"DEPOSIT","B":[{"a":"VST","wb":"100000","cw":"100000","bc":"0"}],"P":[]}}`), true)
		if err != nil || m.delta.Futures == nil {
			t.Fatalf("%+v %v", m, err)
		}
		var f sdk.FuturesAccount
		m.delta.Futures(&f)
		if !f.WalletBalance.Equal(d("100000")) || f.Asset != "USDT" {
			t.Fatalf("%+v", f)
		}
	})
	t.Run("expiry, acks and error frames", func(t *testing.T) {
		if m, _ := parseFrame("swap", []byte(`{"e":"listenKeyExpired","E":"1676964520421","listenKey":"k"}`), false); m.end == "" {
			t.Fatal("listenKeyExpired does not end the session")
		}
		if m, _ := parseFrame("spot", []byte(`{"code":0,"id":"x1","msg":"SUCCESS","timestamp":1759980142604}`), false); !m.ack || m.id != "x1" || m.code != 0 {
			t.Fatalf("ack = %+v", m)
		}
		_, err := parseFrame("swap", []byte(`{"id":"","code":80014,"msg":"invalid params","dataType":"","data":null}`), false)
		if sdk.KindOf(err) != sdk.KindUnavailable || !strings.Contains(err.Error(), "invalid params") {
			t.Fatalf("error frame: %v", err)
		}
		if _, err := parseFrame("spot", []byte(`{"e":"ACCOUNT_UPDATE","E":1,"a":{"B":[{"a":"BTC","wb":"x"}]}}`), false); err == nil {
			t.Fatal("a malformed amount was taken")
		}
	})
}

func TestPongFor(t *testing.T) {
	for in, want := range map[string]string{
		"Ping": "Pong",
		`{"ping":"2177c68e4d0e45679965f482929b59c2","time":"2022-06-07T16:27:36.323+0800"}`: `{"pong":"2177c68e4d0e45679965f482929b59c2","time":"2022-06-07T16:27:36.323+0800"}`,
		`{"e":"ACCOUNT_UPDATE"}`: "",
	} {
		got, ok := pongFor([]byte(in))
		if string(got) != want || ok != (want != "") {
			t.Errorf("pongFor(%s) = %s, %v", in, got, ok)
		}
	}
}
