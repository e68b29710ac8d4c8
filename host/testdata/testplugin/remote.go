package main

// The HTTP side of the test plugin: calls to the fake exchange of package
// schedtest, which also maps its answers the way a real connector maps an
// exchange's (typed errors, usage from headers).

import (
	"net"
	"net/http"
	"time"

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
