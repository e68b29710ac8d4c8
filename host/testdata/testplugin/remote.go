package main

// The HTTP side of the test plugin: calls to the fake exchange of package
// synctest, with its answers mapped the way a real connector maps an
// exchange's (typed errors, usage from headers).

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/sdk"
)

// One pool for every call: the host may sync hundreds of accounts at once.
var httpClient = &http.Client{Transport: &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	MaxIdleConns:        1024,
	MaxIdleConnsPerHost: 1024,
	IdleConnTimeout:     90 * time.Second,
}}

func remote(a sdk.Account) bool { return a.Endpoints["rest"] != "" }

// get calls path on the fake and decodes its answer into out (nil: ignore).
func get(ctx context.Context, a sdk.Account, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.Endpoints["rest"]+path, nil)
	if err != nil {
		return sdk.Errorf(sdk.KindInvalidRequest, "bad rest endpoint")
	}
	req.Header.Set(schedtest.HeaderKey, a.APIKey)
	resp, err := httpClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return sdk.Errorf(sdk.KindUnavailable, "test exchange unreachable")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return sdk.Errorf(sdk.KindUnavailable, "test exchange answer cut off")
	}
	reportUsage(ctx, resp.Header)
	if resp.StatusCode == http.StatusOK {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(body, out); err != nil {
			return sdk.Errorf(sdk.KindUnknown, "test exchange answered malformed JSON")
		}
		return nil
	}
	var eb schedtest.ErrorBody
	_ = json.Unmarshal(body, &eb)
	e := &sdk.Error{Message: "test exchange: " + eb.Message, ExchangeCode: strconv.Itoa(resp.StatusCode)}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.Kind = sdk.KindAuthentication
	case resp.StatusCode == http.StatusForbidden:
		e.Kind = sdk.KindPermission
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusTeapot:
		e.Kind = sdk.KindRateLimited
		ms, _ := strconv.ParseInt(resp.Header.Get(schedtest.HeaderRetryMillis), 10, 64)
		e.RetryAfter = time.Duration(ms) * time.Millisecond
	case resp.StatusCode >= 500:
		e.Kind = sdk.KindUnavailable
	default:
		e.Kind = sdk.KindUnknown
	}
	return e
}

func reportUsage(ctx context.Context, h http.Header) {
	used, err1 := strconv.ParseInt(h.Get(schedtest.HeaderUsedWeight), 10, 64)
	lim, err2 := strconv.ParseInt(h.Get(schedtest.HeaderWeightLimit), 10, 64)
	ms, err3 := strconv.ParseInt(h.Get(schedtest.HeaderWindowMillis), 10, 64)
	if errors.Join(err1, err2, err3) != nil {
		return
	}
	sdk.ReportUsage(ctx, sdk.RateUsage{Name: schedtest.WeightName, Used: used, Limit: lim,
		Interval: time.Duration(ms) * time.Millisecond})
}
