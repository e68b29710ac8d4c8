package sdk

import "net/http"

// The options every connector takes, once for all of them: a connector's
// New accepts ...Option and reads them with ApplyOptions.

// DebugLogger is the one method a connector logs through, one line per
// exchange call and never a credential. *slog.Logger and the hclog.Logger
// of Logger() both satisfy it, and so does sdk/rest's Logger.
type DebugLogger interface {
	Debug(msg string, args ...any)
}

// Options are the settings every connector shares.
type Options struct {
	// Version is the plugin version reported in Info ("0.0.0-dev" when
	// not set).
	Version string
	// Logger receives the connector's debug lines; nil logs nothing.
	Logger DebugLogger
	// HTTPClient replaces the connector's HTTP client (tests, proxies);
	// nil keeps its own.
	HTTPClient *http.Client

	custom []func(any)
}

// Option adjusts a connector when it is built.
type Option func(*Options)

// WithVersion sets the plugin version reported in Info.
func WithVersion(v string) Option { return func(o *Options) { o.Version = v } }

// WithLogger receives one debug line per exchange call (never a
// credential).
func WithLogger(l DebugLogger) Option { return func(o *Options) { o.Logger = l } }

// WithHTTPClient replaces the HTTP client (tests, proxies).
func WithHTTPClient(c *http.Client) Option { return func(o *Options) { o.HTTPClient = c } }

// CustomOption is an option of one connector's own: fn changes the
// connector's settings, of type T, which its New hands to ApplyOptions.
// Given to another connector, whose settings are of another type, it does
// nothing.
func CustomOption[T any](fn func(*T)) Option {
	return func(o *Options) {
		o.custom = append(o.custom, func(v any) {
			if s, ok := v.(*T); ok {
				fn(s)
			}
		})
	}
}

// ApplyOptions applies opts in order: the shared settings to the result,
// the connector's own (see CustomOption) to own, which may be nil for a
// connector with none.
func ApplyOptions[T any](own *T, opts ...Option) Options {
	o := Options{Version: "0.0.0-dev"}
	for _, fn := range opts {
		if fn != nil {
			fn(&o)
		}
	}
	if own != nil {
		for _, c := range o.custom {
			c(own)
		}
	}
	o.custom = nil
	return o
}
