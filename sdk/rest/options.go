package rest

import "github.com/globalautomation/gahost/sdk"

// NewFor builds a connector's client from cfg and the options its New was
// given, and returns the options too, for the version Info reports. The
// shared options (logger, HTTP client) go into the client; the
// connector's own (see sdk.CustomOption) are applied to own, which is nil
// for a connector with none.
func NewFor[T any](cfg Config, own *T, opts ...sdk.Option) (*Client, sdk.Options) {
	o := sdk.ApplyOptions(own, opts...)
	cfg.Logger, cfg.HTTPClient = o.Logger, o.HTTPClient
	return New(cfg), o
}
