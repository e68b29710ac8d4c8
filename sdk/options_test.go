package sdk_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

type settings struct{ ttl time.Duration }

type otherSettings struct{ ttl time.Duration }

func TestApplyOptions(t *testing.T) {
	if o := sdk.ApplyOptions[settings](nil); o.Version != "0.0.0-dev" || o.Logger != nil || o.HTTPClient != nil {
		t.Fatalf("defaults %+v", o)
	}
	hc := &http.Client{}
	l := slog.Default()
	s := settings{ttl: time.Hour}
	o := sdk.ApplyOptions(&s,
		sdk.WithVersion("1.2.3"), sdk.WithLogger(l), sdk.WithHTTPClient(hc),
		sdk.CustomOption(func(s *settings) { s.ttl = time.Minute }),
		sdk.CustomOption(func(s *otherSettings) { s.ttl = time.Second }),
		nil,
	)
	if o.Version != "1.2.3" || o.Logger != l || o.HTTPClient != hc {
		t.Errorf("shared options %+v", o)
	}
	if s.ttl != time.Minute {
		t.Errorf("own setting %v, want 1m (another connector's option must not apply)", s.ttl)
	}
}
