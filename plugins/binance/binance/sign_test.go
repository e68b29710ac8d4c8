package binance

import (
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/rest"
)

// Official vectors from Binance's docs.
const (
	spotSecret    = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	spotKey       = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	futuresSecret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
	futuresKey    = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83"
)

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name, secret, query, body, want string
	}{
		{"S1", spotSecret, "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559", "",
			"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"},
		{"S2 percent-encoded symbol", spotSecret, "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559", "",
			"e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"},
		{"S3 query and body", spotSecret, "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC", "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			"0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"},
		{"F1", futuresSecret, "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943", "",
			"3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"},
		{"F3 mixed, with the docs' stray space", futuresSecret, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC", "quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943",
			"f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2"},
		{"F3 mixed, without the space", futuresSecret, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC", "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943",
			"30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4"},
		{"futures account (page's extra)", futuresSecret, "recvWindow=5000&timestamp=1700000000000", "",
			"1db3e62b3c9e6ff02145b3b55990c33ee6b7d6d6e5b5118108c0f2885eae1d93"},
		{"spot account (page's extra)", spotSecret, "omitZeroBalances=true&recvWindow=5000&timestamp=1700000000000", "",
			"821af6641542547413c6f4364e0c62f100d8d746e0ed17277e290acd6214876f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Signature(tt.secret, tt.query, tt.body); got != tt.want {
				t.Fatalf("Signature = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSignRequestBytes checks the whole signed query the connector sends,
// byte for byte, against the official vectors: user parameters in order,
// then recvWindow and timestamp, then the signature last.
func TestSignRequestBytes(t *testing.T) {
	signed := func(name, key, secret string, ms int64, params rest.Params, query, sig string) plugintest.SignCase {
		req := rest.Signing{Method: "POST", Path: "/x", Query: params.Encode(), Time: time.UnixMilli(ms), Account: sdk.Account{APIKey: key, SecretKey: secret}}
		return plugintest.QuerySigned(name, req, map[string]string{"X-MBX-APIKEY": key}, query, sig)
	}
	plugintest.RunSigner(t, signRequest, []plugintest.SignCase{
		signed("S1", spotKey, spotSecret, 1499827319559,
			rest.Params{}.Add("symbol", "LTCBTC").Add("side", "BUY").Add("type", "LIMIT").
				Add("timeInForce", "GTC").Add("quantity", "1").Add("price", "0.1"),
			"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"),
		signed("S2 non-ASCII symbol is encoded before signing", spotKey, spotSecret, 1499827319559,
			rest.Params{}.Add("symbol", "１２３４５６").Add("side", "BUY").Add("type", "LIMIT").
				Add("timeInForce", "GTC").Add("quantity", "1").Add("price", "0.1"),
			"symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			"e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"),
		signed("F1", futuresKey, futuresSecret, 1591702613943,
			rest.Params{}.Add("symbol", "BTCUSDT").Add("side", "BUY").Add("type", "LIMIT").
				Add("quantity", "1").Add("price", "9000").Add("timeInForce", "GTC"),
			"symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943",
			"3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"),
		signed("no parameters", futuresKey, futuresSecret, 1700000000000, nil,
			"recvWindow=5000&timestamp=1700000000000", "1db3e62b3c9e6ff02145b3b55990c33ee6b7d6d6e5b5118108c0f2885eae1d93"),
	})
}

func TestSignRequestNeedsCredentials(t *testing.T) {
	plugintest.RunSignerRefusals(t, signRequest, plugintest.MissingCredentials(sdk.Account{}, sdk.Account{APIKey: "k"}, sdk.Account{SecretKey: "s"}))
}
