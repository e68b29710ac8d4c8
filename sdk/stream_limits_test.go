package sdk_test

import (
	"context"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// limited declares stream limits in its Info.
type limited struct {
	echo
	limits sdk.StreamLimits
}

func (l *limited) Info(ctx context.Context) (sdk.Info, error) {
	i, err := l.echo.Info(ctx)
	i.StreamLimits = l.limits
	return i, err
}

func TestStreamLimitsCrossTheBoundary(t *testing.T) {
	for _, want := range []sdk.StreamLimits{
		{},
		{MaxConnections: 100, NewConnections: 300, NewConnectionsWindow: 5 * time.Minute},
		{AccountsPerConnection: 1000, NewConnections: 3, NewConnectionsWindow: time.Second},
	} {
		c := pair(t, &limited{limits: want})
		got, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got.StreamLimits != want {
			t.Errorf("stream limits %+v arrived as %+v", want, got.StreamLimits)
		}
	}
	if n := (sdk.StreamLimits{MaxConnections: 60}).MaxAccounts(); n != 60 {
		t.Errorf("60 connections of one account each carry %d accounts", n)
	}
	if n := (sdk.StreamLimits{MaxConnections: 10, AccountsPerConnection: 1000}).MaxAccounts(); n != 10000 {
		t.Errorf("10 connections of 1,000 accounts each carry %d accounts", n)
	}
	if n := (sdk.StreamLimits{NewConnections: 300}).MaxAccounts(); n != 0 {
		t.Errorf("no connection cap gives a cap of %d accounts", n)
	}
}
