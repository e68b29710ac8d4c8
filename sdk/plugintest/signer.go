package plugintest

// Checks of a connector's signer (its rest.Config.Sign) as the client
// calls it: what every connector's signing test did the same way, fed
// with the exchange's own vectors.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/rest"
)

// Signer is a connector's rest.Config.Sign.
type Signer func(*rest.Signing) error

// SignCase is one request a signer must sign, and exactly what it must
// make of it.
type SignCase struct {
	Name string
	// Req is the request as the client hands it over; its Header is
	// replaced by an empty one.
	Req rest.Signing
	// Header is every header the signer must set, and it must set no
	// other.
	Header map[string]string
	// Query is the query the request must go out with: Req.Query where
	// the signature goes in a header, else the signed query. The body
	// must go out as it came.
	Query string
	// Signature is the one value the signer must mark for redaction.
	Signature string
}

// QuerySigned is the case of a signer that appends the signature to the
// query, last, as the parameter signature (Binance's and BingX's way): req
// as the client hands it over, the headers the signer must set, the query
// it must send before the signature, and the signature.
func QuerySigned(name string, req rest.Signing, header map[string]string, query, signature string) SignCase {
	return SignCase{Name: name, Req: req, Header: header, Query: query + "&signature=" + signature, Signature: signature}
}

// RunSigner signs each case's request with sign, each in a subtest, and
// fails it unless the headers, the query and the body going out and the
// values marked for redaction are exactly what the case says.
func RunSigner(t *testing.T, sign Signer, cases []SignCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			s := tc.Req
			s.Header = http.Header{}
			body := string(s.Body)
			if err := sign(&s); err != nil {
				t.Fatal(err)
			}
			if len(s.Header) != len(tc.Header) {
				t.Errorf("headers %v, want %v", s.Header, tc.Header)
			}
			for k, v := range tc.Header {
				if got := s.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if s.Query != tc.Query {
				t.Errorf("query\n got %s\nwant %s", s.Query, tc.Query)
			}
			if string(s.Body) != body {
				t.Errorf("body %q, want it as it came: %q", s.Body, body)
			}
			if len(s.Redact) != 1 || s.Redact[0] != tc.Signature {
				t.Errorf("marked for redaction %d values, want the signature alone", len(s.Redact))
			}
		})
	}
}

// Refused is a request a signer must refuse, with the kind of its error.
type Refused struct {
	Name string
	Req  rest.Signing
	Kind sdk.Kind
}

// MissingCredentials are requests from each of accts, which lack a
// credential: a signer must refuse them as KindAuthentication.
func MissingCredentials(accts ...sdk.Account) []Refused {
	out := make([]Refused, len(accts))
	for i, a := range accts {
		out[i] = Refused{Name: "incomplete credentials", Req: rest.Signing{Method: "GET", Path: "/x", Account: a}, Kind: sdk.KindAuthentication}
	}
	return out
}

// RunSignerRefusals fails t unless sign refuses each row's request with
// the row's kind, and says so without the request's secret or passphrase
// (one shorter than 8 characters, which any text may hold by chance, is
// not looked for).
func RunSignerRefusals(t *testing.T, sign Signer, rows []Refused) {
	t.Helper()
	for _, row := range rows {
		s := row.Req
		s.Header = http.Header{}
		err := sign(&s)
		if err == nil || sdk.KindOf(err) != row.Kind {
			t.Errorf("%s (%+v): %v, want %v", row.Name, row.Req.Account, err, row.Kind)
			continue
		}
		for _, secret := range []string{s.Account.SecretKey, s.Account.Passphrase} {
			if len(secret) >= 8 && strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the error names a credential: %v", row.Name, err)
			}
		}
	}
}
