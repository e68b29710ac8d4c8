package ratecard

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

var card = Card{
	Limits: []sdk.RateLimit{
		{Name: "ip", Limit: 600, Interval: 5 * time.Second, Scope: sdk.ScopeIP},
		{Name: "uid", Limit: 10, Interval: time.Second, Scope: sdk.ScopeAccount},
	},
	Costs: []sdk.CallCost{
		{Call: sdk.CapSpotBalances, Limit: "ip", Cost: 1},
		{Call: sdk.CapOrders, Limit: "ip", Cost: 2},
		{Call: sdk.CapOrders, Limit: "uid", Cost: 5},
		{Call: sdk.CapValidate, Limit: "uid", Cost: 1},
	},
}

func TestFillCopies(t *testing.T) {
	info := card.Fill(sdk.Info{Name: "x"})
	if info.Name != "x" || !reflect.DeepEqual(info.RateLimits, card.Limits) || !reflect.DeepEqual(info.Costs, card.Costs) {
		t.Fatalf("filled %+v", info)
	}
	want := map[string]int64{sdk.CapSpotBalances: 1, sdk.CapOrders: 2, sdk.CapValidate: 0}
	if !reflect.DeepEqual(info.CallCosts, want) {
		t.Errorf("call costs %v, want %v (the first limit's share of each call)", info.CallCosts, want)
	}
	info.RateLimits[0].Limit, info.Costs[0].Cost, info.CallCosts[sdk.CapOrders] = 1, 99, 99
	if card.Limits[0].Limit != 600 || card.Costs[0].Cost != 1 || card.CallCosts()[sdk.CapOrders] != 2 {
		t.Error("Fill handed out the card's own slices or map")
	}
}

func TestLegacyWins(t *testing.T) {
	c := card
	c.Legacy = map[string]int64{sdk.CapOrders: 7}
	got := c.Fill(sdk.Info{}).CallCosts
	if !reflect.DeepEqual(got, map[string]int64{sdk.CapOrders: 7}) {
		t.Errorf("call costs %v, want the declared legacy map", got)
	}
	got[sdk.CapOrders] = 1
	if c.Legacy[sdk.CapOrders] != 7 {
		t.Error("Fill handed out the legacy map itself")
	}
}

func TestLimit(t *testing.T) {
	if l, ok := card.Limit("uid"); !ok || l.Limit != 10 {
		t.Errorf("uid: %+v %v", l, ok)
	}
	if _, ok := card.Limit("nope"); ok {
		t.Error("an undeclared limit was found")
	}
}

func TestHeaders(t *testing.T) {
	h := http.Header{"Used": {" 42 "}, "Left": {"3"}, "Over": {"25"}, "Neg": {"-1"}, "Text": {"many"}}
	tests := []struct {
		name   string
		remain bool
		header string
		limit  string
		want   []sdk.RateUsage
	}{
		{"used", false, "Used", "ip", []sdk.RateUsage{{Name: "ip", Used: 42, Limit: 600, Interval: 5 * time.Second}}},
		{"left", true, "Left", "uid", []sdk.RateUsage{{Name: "uid", Used: 7, Limit: 10, Interval: time.Second}}},
		{"more left than the limit", true, "Over", "uid", []sdk.RateUsage{{Name: "uid", Used: 0, Limit: 10, Interval: time.Second}}},
		{"absent", false, "Missing", "ip", nil},
		{"negative", false, "Neg", "ip", nil},
		{"not a number", true, "Text", "uid", nil},
		{"unknown limit", false, "Used", "nope", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := card.Used(h, tt.header, tt.limit)
			if tt.remain {
				got = card.Remaining(h, tt.header, tt.limit)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
