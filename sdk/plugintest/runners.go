package plugintest

// Table runners for the tables every connector's own tests keep, each
// row in the connector's own keys, accounts and codes: the runner does
// the arranging and checking every connector did the same way.

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
)

// SeededFake is a fake exchange a runner can start empty and give one key
// and its account, K and A being the fake's own key and account types.
type SeededFake[K, A any] interface {
	FakeServer
	Counter
	Seed(k K, a A)
}

// CredentialsRow is one row of a connector's credentials table: the key
// the fake holds (which may not be the account's, or hold other rights
// than it) with the account behind it, whether the connector's account
// is marked testnet, and what ValidateCredentials must answer, as
// Credentials describes. Calls, when set, are the requests a check that
// passes must have made, as CheckCalls counts them.
type CredentialsRow[K, A any] struct {
	Name    string
	Key     K
	Account A
	Testnet bool

	Perms sdk.Permissions
	Notes []string
	Kind  sdk.Kind
	Code  string
	Text  string

	Calls map[string]int
}

// RunCredentials runs rows, each in a subtest against a fresh fake from
// newFake holding only the row's key and account, with a fresh connector
// from newConn and acct pointed at the fake as NewEnv points it. Besides
// what the row expects, the notes of a check that passes must not name
// acct's API key or secret.
func RunCredentials[F SeededFake[K, A], K, A any](t *testing.T, newFake func() F, newConn func() sdk.Exchange, acct sdk.Account, rows []CredentialsRow[K, A]) {
	t.Helper()
	for _, row := range rows {
		t.Run(row.Name, func(t *testing.T) {
			fx := newFake()
			fx.Seed(row.Key, row.Account)
			e := NewEnv(t, fx, newConn(), acct)
			e.Acct.Testnet = row.Testnet
			got, err := e.C.ValidateCredentials(Context(t), e.Acct)
			notes := CheckCredentials(t, got, err, Credentials{Perms: row.Perms, Notes: row.Notes, Kind: row.Kind, Code: row.Code, Text: row.Text})
			if row.Kind != 0 {
				return
			}
			for _, secret := range []string{acct.APIKey, acct.SecretKey} {
				if secret != "" && strings.Contains(notes, secret) {
					t.Errorf("the notes name the account's key or secret: %q", notes)
				}
			}
			CheckCalls(t, fx, row.Calls)
		})
	}
}
