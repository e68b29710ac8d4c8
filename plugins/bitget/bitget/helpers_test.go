package bitget_test

import "github.com/globalautomation/gahost/sdk/fakex"

// fakeFault answers path once with status and body instead of the fake.
func fakeFault(path string, status int, body string) fakex.Fault {
	return fakex.Fault{Path: path, Status: status, Body: body}
}
