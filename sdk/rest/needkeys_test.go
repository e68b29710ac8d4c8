package rest

import (
	"errors"
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

func TestNeedKeys(t *testing.T) {
	if err := NeedKeys("x", sdk.Account{APIKey: "k", SecretKey: "s"}); err != nil {
		t.Fatalf("both keys: %v", err)
	}
	for _, a := range []sdk.Account{{}, {APIKey: "k"}, {SecretKey: "s", Passphrase: "p"}} {
		err := NeedKeys("x", a)
		if sdk.KindOf(err) != sdk.KindAuthentication {
			t.Fatalf("%+v: %v", a, err)
		}
		var e *sdk.Error
		if !errors.As(err, &e) || e.Message != "x: an API key and a secret key are required" {
			t.Fatalf("%+v: message %v", a, err)
		}
	}
}
