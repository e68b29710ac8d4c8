package sign

import "testing"

// Vectors from the exchanges' API docs: one hex
// (Binance spot S1) and one base64 (OKX vector 1), so both renderings are
// pinned to values computed outside this code.
func TestVectors(t *testing.T) {
	tests := []struct {
		name, secret, payload, want string
		fn                          func(string, string) string
	}{
		{
			name:    "hex",
			secret:  "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
			payload: "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			want:    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
			fn:      Hex,
		},
		{
			name:    "base64",
			secret:  "22582BD0CFF14C41EDBF1AB98506286D",
			payload: "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC",
			want:    "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=",
			fn:      Base64,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(tt.secret, tt.payload); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b      string
		eq, eqHex bool
	}{
		{"abc", "abc", true, true},
		{"ABC", "abc", false, true},
		{"abc", "abd", false, false},
		{"abc", "abcd", false, false},
		{"", "", true, true},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.eq {
			t.Errorf("Equal(%q,%q) = %v", tt.a, tt.b, got)
		}
		if got := EqualHexFold(tt.a, tt.b); got != tt.eqHex {
			t.Errorf("EqualHexFold(%q,%q) = %v", tt.a, tt.b, got)
		}
	}
}
