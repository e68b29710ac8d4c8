package config

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// The schema is written out by hand rather than taken from struct tags so
// that every value can be checked where it stands and reported with its own
// range; gohcl would only give us the block as a whole.
var (
	rootSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "data_dir"},
			{Name: "log_level"},
			{Name: "log_format"},
		},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "api"},
			{Type: "encryption"},
			{Type: "plugins"},
			{Type: "sync"},
			{Type: "history"},
			{Type: "streams"},
			{Type: "limits"},
			{Type: "webhooks"},
			{Type: "store"},
			{Type: "cluster"},
			{Type: "exchange", LabelNames: []string{"name"}},
		},
	}
	apiSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "listen"},
		{Name: "cors_allowed_origins"},
		{Name: "read_timeout"},
		{Name: "write_timeout"},
		{Name: "idle_timeout"},
		{Name: "max_connections"},
		{Name: "metrics_token"},
		{Name: "metrics_listen"},
		{Name: "public_url"},
	}}
	webhooksSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "replay_window"},
	}}
	encryptionSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "key_file"},
		{Name: "key_env"},
	}}
	pluginsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "dir"},
		{Name: "watch"},
		{Name: "require_checksums"},
	}}
	syncSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "interval"},
		{Name: "jitter"},
		{Name: "max_concurrency"},
		{Name: "call_timeout"},
	}}
	historySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "keep_all"},
		{Name: "hourly_for"},
	}}
	streamsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "enabled"},
		{Name: "reconcile_interval"},
	}}
	limitsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "accounts_per_user"},
		{Name: "webhooks_per_user"},
	}}
	storeSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "backend"},
		{Name: "dsn"},
	}}
	clusterSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "host_id"},
		{Name: "lease_ttl"},
	}}
	exchangeSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "sha256"},
		{Name: "endpoints"},
		{Name: "testnet_endpoints"},
		{Name: "max_streamed_accounts"},
	}}
)

var (
	logLevels  = []string{"trace", "debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}

	exchangeNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
	endpointKeyRE  = regexp.MustCompile(`^[a-z0-9_-]+$`)
	sha256RE       = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	envNameRE      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	hostIDRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	backends       = []string{BackendBbolt, BackendPostgres}
)

// minLeaseTTL: a lease is renewed three times per lease_ttl, and a
// renewal is a database round trip; below this a slow query loses leases.
const minLeaseTTL = 3 * time.Second

// maxConcurrencyLimit keeps a typo such as 6400000 from turning into that
// many goroutines; no single host needs more.
const maxConcurrencyLimit = 100_000

// maxQuota bounds a per-user quota: far above any real need, low enough
// that a typo does not quietly mean "no limit".
const maxQuota = 1_000_000

// decoder collects diagnostics while the body is walked, so that one pass
// reports every problem in the file.
type decoder struct {
	diags hcl.Diagnostics
}

// decode turns the file body into a Config, resolving relative paths
// against base (the directory holding the file).
func decode(body hcl.Body, base string) (*Config, hcl.Diagnostics) {
	d := &decoder{}
	cfg := Default()
	keyFile := ""

	content, diags := body.Content(rootSchema)
	d.diags = append(d.diags, diags...)

	d.path(content.Attributes["data_dir"], &cfg.DataDir)
	d.enum(content.Attributes["log_level"], &cfg.LogLevel, logLevels)
	d.enum(content.Attributes["log_format"], &cfg.LogFormat, logFormats)

	seen := map[string]*hcl.Block{}
	for _, block := range content.Blocks {
		if block.Type == "exchange" {
			d.exchange(block, cfg.Exchanges)
			continue
		}
		if first, dup := seen[block.Type]; dup {
			d.errorf(block.DefRange, "Duplicate "+block.Type+" block",
				"%s %s block was already defined at %s. Put all %s settings in that one block.",
				article(block.Type), block.Type, rangeSource(first.DefRange), block.Type)
			continue
		}
		seen[block.Type] = block
		switch block.Type {
		case "api":
			d.api(block, &cfg.API)
		case "encryption":
			d.encryption(block, &keyFile, &cfg.Encryption.KeyEnv)
		case "plugins":
			d.plugins(block, &cfg.Plugins)
		case "sync":
			d.sync(block, &cfg.Sync)
		case "history":
			d.history(block, &cfg.History)
		case "streams":
			d.streams(block, &cfg.Streams)
		case "limits":
			d.limits(block, &cfg.Limits)
		case "webhooks":
			d.webhooks(block, &cfg.Webhooks)
		case "store":
			d.store(block, &cfg.Store)
		case "cluster":
			d.cluster(block, &cfg.Cluster)
		}
	}

	cfg.DataDir = resolvePath(base, cfg.DataDir)
	cfg.Plugins.Dir = resolvePath(base, cfg.Plugins.Dir)
	if keyFile == "" {
		cfg.Encryption.KeyFile = resolvePath(cfg.DataDir, defaultKeyFileName)
	} else {
		cfg.Encryption.KeyFile = resolvePath(base, keyFile)
	}
	return cfg, d.diags
}

func (d *decoder) api(block *hcl.Block, api *API) {
	content, diags := block.Body.Content(apiSchema)
	d.diags = append(d.diags, diags...)

	if attr := content.Attributes["listen"]; attr != nil {
		if s, ok := d.str(attr); ok {
			if msg := checkListen(s); msg != "" {
				d.errorf(attr.Expr.Range(), "Invalid listen address", "%s", msg)
			} else {
				api.Listen = s
			}
		}
	}
	if attr := content.Attributes["cors_allowed_origins"]; attr != nil {
		if items, ok := d.strList(attr); ok {
			origins := make([]string, 0, len(items))
			for _, it := range items {
				if msg := checkOrigin(it.s); msg != "" {
					d.errorf(it.r, "Invalid CORS origin", "%s", msg)
					continue
				}
				origins = append(origins, it.s)
			}
			api.CORSAllowedOrigins = origins
		}
	}
	d.duration(content.Attributes["read_timeout"], &api.ReadTimeout, positive)
	d.duration(content.Attributes["write_timeout"], &api.WriteTimeout, positive)
	d.duration(content.Attributes["idle_timeout"], &api.IdleTimeout, positive)
	if attr := content.Attributes["max_connections"]; attr != nil {
		if n, ok := d.integer(attr); ok {
			if n < 1 || n > maxConnectionsCap {
				d.errorf(attr.Expr.Range(), "Invalid max_connections",
					"max_connections must be between 1 and %d, got %d.", maxConnectionsCap, n)
			} else {
				api.MaxConnections = n
			}
		}
	}
	if attr := content.Attributes["metrics_token"]; attr != nil {
		if s, ok := d.str(attr); ok {
			// Not echoed: it is a secret.
			if s != "" && len(s) < minMetricsToken {
				d.errorf(attr.Expr.Range(), "Invalid metrics_token",
					"metrics_token must be at least %d characters long (or empty for none).", minMetricsToken)
			} else {
				api.MetricsToken = s
			}
		}
	}
	if attr := content.Attributes["metrics_listen"]; attr != nil {
		if s, ok := d.str(attr); ok {
			if s == "" {
				api.MetricsListen = ""
			} else if msg := checkListen(s); msg != "" {
				d.errorf(attr.Expr.Range(), "Invalid listen address", "%s", msg)
			} else {
				api.MetricsListen = s
			}
		}
	}
	if attr := content.Attributes["public_url"]; attr != nil {
		if s, ok := d.str(attr); ok {
			if msg := checkPublicURL(s); msg != "" {
				d.errorf(attr.Expr.Range(), "Invalid public_url", "%s", msg)
			} else {
				api.PublicURL = strings.TrimSuffix(s, "/")
			}
		}
	}
}

const (
	// maxConnectionsCap keeps max_connections below what a process's file
	// descriptors can hold anyway.
	maxConnectionsCap = 1_000_000
	minMetricsToken   = 16
)

func (d *decoder) webhooks(block *hcl.Block, w *Webhooks) {
	content, diags := block.Body.Content(webhooksSchema)
	d.diags = append(d.diags, diags...)
	d.duration(content.Attributes["replay_window"], &w.ReplayWindow, nonNegative)
}

func (d *decoder) encryption(block *hcl.Block, keyFile, keyEnv *string) {
	content, diags := block.Body.Content(encryptionSchema)
	d.diags = append(d.diags, diags...)

	d.path(content.Attributes["key_file"], keyFile)
	if attr := content.Attributes["key_env"]; attr != nil {
		if s, ok := d.str(attr); ok {
			// The value is deliberately not echoed: someone who misreads
			// the setting may have pasted the key itself here.
			if s != "" && !envNameRE.MatchString(s) {
				d.errorf(attr.Expr.Range(), "Invalid environment variable name",
					`key_env names the environment variable that holds the master key (such as "GAHOST_MASTER_KEY"); it must be letters, digits and underscores, not starting with a digit. Put the key itself in that variable, never in this file.`)
			} else {
				*keyEnv = s
			}
		}
	}
}

func (d *decoder) plugins(block *hcl.Block, p *Plugins) {
	content, diags := block.Body.Content(pluginsSchema)
	d.diags = append(d.diags, diags...)

	d.path(content.Attributes["dir"], &p.Dir)
	d.boolean(content.Attributes["watch"], &p.Watch)
	d.boolean(content.Attributes["require_checksums"], &p.RequireChecksums)
}

func (d *decoder) sync(block *hcl.Block, s *Sync) {
	content, diags := block.Body.Content(syncSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes

	intervalOK := d.duration(attrs["interval"], &s.Interval, positive)
	jitterOK := d.duration(attrs["jitter"], &s.Jitter, nonNegative)
	d.duration(attrs["call_timeout"], &s.CallTimeout, positive)
	if attr := attrs["max_concurrency"]; attr != nil {
		if n, ok := d.integer(attr); ok {
			switch {
			case n <= 0:
				d.errorf(attr.Expr.Range(), "Invalid max_concurrency",
					"max_concurrency is how many account syncs may run at once; it must be at least 1, got %d.", n)
			case n > maxConcurrencyLimit:
				d.errorf(attr.Expr.Range(), "Invalid max_concurrency",
					"max_concurrency must be at most %d, got %d.", maxConcurrencyLimit, n)
			default:
				s.MaxConcurrency = n
			}
		}
	}

	// Only compare values that were themselves valid, or one typo would
	// be reported twice.
	if intervalOK && jitterOK && s.Jitter >= s.Interval {
		at := attrs["jitter"]
		if at == nil {
			at = attrs["interval"]
		}
		d.errorf(at.Expr.Range(), "Jitter not below interval",
			"jitter (%s) must be shorter than interval (%s): each sync is moved by up to the jitter to spread the load, and a jitter as long as the interval would let syncs overtake each other.",
			s.Jitter, s.Interval)
	}
}

func (d *decoder) history(block *hcl.Block, h *History) {
	content, diags := block.Body.Content(historySchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes

	keepOK := d.duration(attrs["keep_all"], &h.KeepAll, positive)
	hourlyOK := d.duration(attrs["hourly_for"], &h.HourlyFor, positive)
	if keepOK && hourlyOK && h.HourlyFor < h.KeepAll {
		at := attrs["hourly_for"]
		if at == nil {
			at = attrs["keep_all"]
		}
		d.errorf(at.Expr.Range(), "hourly_for shorter than keep_all",
			"Both are ages counted back from now: points younger than keep_all (%s) are all kept, then one per hour until hourly_for (%s). hourly_for must be at least keep_all; make them equal to keep no hourly points.",
			h.KeepAll, h.HourlyFor)
	}
}

func (d *decoder) streams(block *hcl.Block, s *Streams) {
	content, diags := block.Body.Content(streamsSchema)
	d.diags = append(d.diags, diags...)
	d.boolean(content.Attributes["enabled"], &s.Enabled)
	d.duration(content.Attributes["reconcile_interval"], &s.ReconcileInterval, positive)
}

func (d *decoder) store(block *hcl.Block, s *Store) {
	content, diags := block.Body.Content(storeSchema)
	d.diags = append(d.diags, diags...)
	d.enum(content.Attributes["backend"], &s.Backend, backends)
	attr := content.Attributes["dsn"]
	if attr == nil {
		return
	}
	// A DSN holds a password, and a diagnostic prints the lines of its
	// subject: complaints about it point at the block's first line and
	// name the dsn line without showing it.
	where := rangeSource(attr.Range)
	v, vd := attr.Expr.Value(nil)
	if vd.HasErrors() || v.IsNull() || !v.IsWhollyKnown() || v.Type() != cty.String {
		d.errorf(block.DefRange, "Invalid dsn", "dsn (at %s) must be a string.", where)
		return
	}
	dsn := v.AsString()
	if msg := checkDSN(dsn); msg != "" {
		d.errorf(block.DefRange, "Invalid dsn", "dsn (at %s): %s", where, msg)
		return
	}
	if s.Backend != BackendPostgres {
		d.errorf(block.DefRange, "dsn without the postgres backend",
			"dsn (at %s) is the PostgreSQL connection string; set backend = %q to use it, or remove it.", where, BackendPostgres)
		return
	}
	s.DSN, s.DSNSource = dsn, where
}

// checkDSN accepts the two forms of a libpq connection string: a
// postgres:// URL, or space-separated key=value pairs.
func checkDSN(dsn string) string {
	if strings.TrimSpace(dsn) == "" {
		return "it is empty; leave it out to take the DSN from " + DSNEnv + "."
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if _, err := url.Parse(dsn); err != nil {
			return "it is not a valid URL."
		}
		return ""
	}
	if strings.Contains(dsn, "=") {
		return ""
	}
	return `it must be a URL such as "postgres://gahost@db.example.com/gahost" or key=value pairs such as "host=/run/postgresql dbname=gahost".`
}

func (d *decoder) cluster(block *hcl.Block, c *Cluster) {
	content, diags := block.Body.Content(clusterSchema)
	d.diags = append(d.diags, diags...)
	if attr := content.Attributes["host_id"]; attr != nil {
		if s, ok := d.str(attr); ok {
			if !hostIDRE.MatchString(s) {
				d.errorf(attr.Expr.Range(), "Invalid host_id",
					"host_id names this host among those sharing the database: 1 to 63 letters, digits, '.', '-' and '_', starting with a letter or digit; got %q.", s)
			} else {
				c.HostID = s
			}
		}
	}
	var ttl time.Duration
	if attr := content.Attributes["lease_ttl"]; attr != nil && d.duration(attr, &ttl, positive) && ttl != 0 {
		if ttl < minLeaseTTL {
			d.errorf(attr.Expr.Range(), "Invalid lease_ttl",
				"lease_ttl must be at least %s: each lease is renewed three times per lease_ttl, with a database round trip each time; got %s.", minLeaseTTL, ttl)
		} else {
			c.LeaseTTL = ttl
		}
	}
}

func (d *decoder) limits(block *hcl.Block, l *Limits) {
	content, diags := block.Body.Content(limitsSchema)
	d.diags = append(d.diags, diags...)
	d.quota(content.Attributes["accounts_per_user"], &l.AccountsPerUser, "exchange accounts")
	d.quota(content.Attributes["webhooks_per_user"], &l.WebhooksPerUser, "webhooks")
}

// quota reads a per-user limit: a whole number from 1 to maxQuota.
func (d *decoder) quota(attr *hcl.Attribute, dst *int, what string) {
	if attr == nil {
		return
	}
	n, ok := d.integer(attr)
	if !ok {
		return
	}
	if n < 1 || n > maxQuota {
		d.errorf(attr.Expr.Range(), "Invalid "+attr.Name,
			"%s is how many %s one user may have; it must be from 1 to %d, got %d.", attr.Name, what, maxQuota, n)
		return
	}
	*dst = n
}

func (d *decoder) exchange(block *hcl.Block, into map[string]Exchange) {
	name := block.Labels[0]
	nameOK := true
	if !exchangeNameRE.MatchString(name) {
		nameOK = false
		d.errorf(block.LabelRanges[0], "Invalid exchange name",
			"An exchange name is the name its plugin reports: lower-case letters, digits, '-' and '_' only; got %q.", name)
	} else if first, dup := into[name]; dup {
		nameOK = false
		d.errorf(block.DefRange, "Duplicate exchange block",
			"An exchange %q block was already defined at %s. Put all settings for one exchange in one block.",
			name, first.Source)
	}

	ex := Exchange{Name: name, Endpoints: map[string]string{}, TestnetEndpoints: map[string]string{},
		Source: rangeSource(block.DefRange)}
	content, diags := block.Body.Content(exchangeSchema)
	d.diags = append(d.diags, diags...)

	if attr := content.Attributes["sha256"]; attr != nil {
		if s, ok := d.str(attr); ok {
			if !sha256RE.MatchString(s) {
				what := fmt.Sprintf("got %d characters", len(s))
				if len(s) == 64 {
					what = "got characters that are not 0-9 or a-f"
				}
				d.errorf(attr.Expr.Range(), "Invalid sha256",
					"sha256 must be the 64 hexadecimal characters of the plugin binary's SHA-256 (as printed by `gahost plugins list` or `sha256sum`); %s.",
					what)
			} else {
				ex.SHA256 = strings.ToLower(s)
			}
		}
	}
	d.endpoints(content.Attributes["endpoints"], ex.Endpoints)
	d.endpoints(content.Attributes["testnet_endpoints"], ex.TestnetEndpoints)
	if attr := content.Attributes["max_streamed_accounts"]; attr != nil {
		if n, ok := d.integer(attr); ok {
			if n < 1 || n > maxQuota {
				d.errorf(attr.Expr.Range(), "Invalid max_streamed_accounts",
					"max_streamed_accounts is how many of the exchange's accounts may be streamed from this host; it must be from 1 to %d, got %d. Leave it out to stream as many as the exchange's per-IP limits allow.", maxQuota, n)
			} else {
				ex.MaxStreamedAccounts = n
			}
		}
	}
	if nameOK {
		into[name] = ex
	}
}

// endpoints reads a map of endpoint key to base URL into dst.
func (d *decoder) endpoints(attr *hcl.Attribute, dst map[string]string) {
	if attr == nil {
		return
	}
	items, ok := d.strMap(attr)
	if !ok {
		return
	}
	for _, it := range items {
		if !endpointKeyRE.MatchString(it.key) {
			d.errorf(it.keyRange, "Invalid endpoint key",
				"Endpoint keys are the plugin's names for its base URLs, such as \"rest\" or \"spot\": lower-case letters, digits, '-' and '_'; got %q.", it.key)
			continue
		}
		if msg := checkEndpoint(it.key, it.value); msg != "" {
			d.errorf(it.valueRange, "Invalid endpoint URL", "%s", msg)
			continue
		}
		dst[it.key] = strings.TrimSuffix(it.value, "/")
	}
}

// article gives "An" before a vowel, for messages that name a block type.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}

// --- checks on single values; each returns "" when the value is fine ---

func checkListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf(`listen must be host:port, such as "127.0.0.1:8080" or "[::1]:8080"; got %q.`, s)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Sprintf("listen has an invalid host %q.", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("listen must end in a port number from 0 to 65535; got %q.", port)
	}
	return ""
}

// checkOrigin insists on the exact form a browser sends in its Origin
// header, because CORS matching compares strings: a trailing slash or a
// path would silently never match.
func checkOrigin(s string) string {
	if s == "*" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf(`%q is not an origin; write scheme://host[:port], such as "http://localhost:5173", or "*" for any origin.`, s)
	}
	if u.User != nil {
		// Not echoed: the part before @ may be a password.
		return fmt.Sprintf("An origin has no user name or password; try %q.", u.Scheme+"://"+u.Host)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Path != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return fmt.Sprintf(`%q is not an origin: an origin is only scheme://host[:port], with no path, trailing slash, query or fragment; try %q.`,
			s, u.Scheme+"://"+u.Host)
	}
	return ""
}

var errBadScheme = errors.New("scheme is not http, https, ws or wss")

// checkPublicURL insists on a base URL that a path can be appended to:
// webhook URLs are public_url + "/hooks/<token>", pasted into another
// service, so a query, a fragment, a user name or a path with dot segments
// or escapes would make a URL that does not reach the daemon. "" is fine:
// no public URL.
func checkPublicURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err == nil && u.User != nil {
		// Not echoed: the part before @ may be a password.
		return "public_url must not carry a user name or password."
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf(`public_url must be an absolute http or https URL, such as "https://hub.example.com"; got %q.`, s)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#") {
		return fmt.Sprintf("public_url is a base URL and cannot have a query or fragment; got %q.", s)
	}
	if u.RawPath != "" || strings.ContainsAny(u.Path, "%\\ ") || strings.Contains(u.Path, "//") {
		return fmt.Sprintf("public_url may have a plain path prefix (\"/gahost\") but no escapes, spaces or empty segments; got %q.", s)
	}
	for _, seg := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if seg == "." || seg == ".." {
			return fmt.Sprintf("public_url cannot have . or .. in its path; got %q.", s)
		}
	}
	return ""
}

func checkEndpoint(key, s string) string {
	u, err := url.Parse(s)
	if err == nil && u.User != nil {
		// Do not echo a URL that carries credentials.
		return fmt.Sprintf("The %s endpoint URL must not carry a user name or password.", key)
	}
	// REST endpoints are http(s); a connector's WebSocket endpoints (keys
	// such as spot_ws) take ws(s). Which key takes which is the plugin's
	// business; a wrong scheme fails at the first call, loudly.
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
	case u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ws" || u.Scheme == "wss":
		err = nil
	default:
		err = errBadScheme
	}
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf(`The %s endpoint must be an absolute http or https URL (ws or wss for a WebSocket endpoint), such as "https://api.example.com"; got %q.`, key, s)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#") {
		return fmt.Sprintf("The %s endpoint is a base URL and cannot have a query or fragment; got %q.", key, s)
	}
	return ""
}

// --- typed readers: each reports at the value's own range and leaves the
// destination untouched unless the value is good ---

func (d *decoder) errorf(r hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  r.Ptr(),
	})
}

func (d *decoder) typeError(attr *hcl.Attribute, r hcl.Range, want string, got cty.Type) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Incorrect attribute value type",
		Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s required, but have %s.", attr.Name, want, got.FriendlyName()),
		Subject:  r.Ptr(),
		Context:  attr.Range.Ptr(),
	})
}

// value evaluates an attribute with no variables or functions in scope.
// A null value counts as unset, so `x = null` means "use the default".
func (d *decoder) value(expr hcl.Expression) (cty.Value, bool) {
	v, diags := expr.Value(nil)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

// str reads a string. Unlike hcl's usual conversion it refuses numbers and
// bools, because listen = 8080 is almost always a mistake worth flagging.
func (d *decoder) str(attr *hcl.Attribute) (string, bool) {
	v, ok := d.value(attr.Expr)
	if !ok {
		return "", false
	}
	if v.Type() != cty.String {
		d.typeError(attr, attr.Expr.Range(), "string", v.Type())
		return "", false
	}
	return v.AsString(), true
}

func (d *decoder) boolean(attr *hcl.Attribute, dst *bool) {
	if attr == nil {
		return
	}
	v, ok := d.value(attr.Expr)
	if !ok {
		return
	}
	if v.Type() != cty.Bool {
		d.typeError(attr, attr.Expr.Range(), "bool", v.Type())
		return
	}
	*dst = v.True()
}

func (d *decoder) integer(attr *hcl.Attribute) (int, bool) {
	v, ok := d.value(attr.Expr)
	if !ok {
		return 0, false
	}
	if v.Type() != cty.Number {
		d.typeError(attr, attr.Expr.Range(), "number", v.Type())
		return 0, false
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() {
		d.errorf(attr.Expr.Range(), "Invalid "+attr.Name, "%s must be a whole number, got %s.", attr.Name, bf.Text('g', -1))
		return 0, false
	}
	i, acc := bf.Int64()
	if acc != big.Exact || int64(int(i)) != i {
		d.errorf(attr.Expr.Range(), "Invalid "+attr.Name, "%s is out of range, got %s.", attr.Name, bf.Text('g', -1))
		return 0, false
	}
	return int(i), true
}

// path reads a file system path; the caller resolves it once all values
// are known. An empty path is refused rather than taken as "here".
func (d *decoder) path(attr *hcl.Attribute, dst *string) {
	if attr == nil {
		return
	}
	s, ok := d.str(attr)
	if !ok {
		return
	}
	if strings.TrimSpace(s) == "" {
		d.errorf(attr.Expr.Range(), "Empty path", "%s must name a path; leave the attribute out to use the default.", attr.Name)
		return
	}
	*dst = s
}

func (d *decoder) enum(attr *hcl.Attribute, dst *string, allowed []string) {
	if attr == nil {
		return
	}
	s, ok := d.str(attr)
	if !ok {
		return
	}
	if !slices.Contains(allowed, s) {
		d.errorf(attr.Expr.Range(), "Invalid "+attr.Name,
			"%s must be one of %s; got %q.", attr.Name, strings.Join(allowed, ", "), s)
		return
	}
	*dst = s
}

type durationRule int

const (
	positive durationRule = iota
	nonNegative
)

// duration reads a Go duration string. It reports true when the attribute
// is absent (the default stands) or valid, so callers can tell whether a
// cross-check between two durations is meaningful.
func (d *decoder) duration(attr *hcl.Attribute, dst *time.Duration, rule durationRule) bool {
	if attr == nil {
		return true
	}
	before := len(d.diags)
	v, ok := d.value(attr.Expr)
	if !ok {
		// Without a new diagnostic the value was null: the default stands.
		return len(d.diags) == before
	}
	if v.Type() != cty.String {
		detail := fmt.Sprintf(`Inappropriate value for attribute %q: a duration string such as "30s" is required, but have %s.`, attr.Name, v.Type().FriendlyName())
		if v.Type() == cty.Number {
			detail += ` A bare number has no unit; write "30s", "5m" or "1h".`
		}
		d.diags = append(d.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   detail,
			Subject:  attr.Expr.Range().Ptr(),
			Context:  attr.Range.Ptr(),
		})
		return false
	}
	s := v.AsString()
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(attr.Expr.Range(), "Invalid duration",
			`%s: %q is not a duration. Write a number and a unit with no space, such as "30s", "5m" or "1h30m"; the units are ns, us, ms, s, m and h (there is no unit for days: 7 days is "168h").`,
			attr.Name, s)
		return false
	}
	switch {
	case rule == positive && dur <= 0:
		d.errorf(attr.Expr.Range(), "Invalid duration", "%s must be longer than zero, got %q.", attr.Name, s)
		return false
	case rule == nonNegative && dur < 0:
		d.errorf(attr.Expr.Range(), "Invalid duration", "%s must not be negative, got %q.", attr.Name, s)
		return false
	}
	*dst = dur
	return true
}

// rangedString is a string value with the range it was written at.
type rangedString struct {
	s string
	r hcl.Range
}

// strList reads a list of strings, keeping each element's own range when
// the list is written out literally so a bad element is pointed at itself.
func (d *decoder) strList(attr *hcl.Attribute) ([]rangedString, bool) {
	v, ok := d.value(attr.Expr)
	if !ok {
		return nil, false
	}
	ty := v.Type()
	if !ty.IsTupleType() && !ty.IsListType() && !ty.IsSetType() {
		d.typeError(attr, attr.Expr.Range(), "list of string", ty)
		return nil, false
	}
	exprs, diags := hcl.ExprList(attr.Expr)
	if diags.HasErrors() || len(exprs) != v.LengthInt() {
		exprs = nil
	}

	out := make([]rangedString, 0, v.LengthInt())
	good := true
	i := 0
	for it := v.ElementIterator(); it.Next(); i++ {
		_, elem := it.Element()
		r := attr.Expr.Range()
		if exprs != nil {
			r = exprs[i].Range()
		}
		if elem.IsNull() || elem.Type() != cty.String {
			good = false
			d.errorf(r, "Incorrect attribute value type",
				"Inappropriate value for element %d of attribute %q: string required, but have %s.", i, attr.Name, elem.Type().FriendlyName())
			continue
		}
		out = append(out, rangedString{s: elem.AsString(), r: r})
	}
	return out, good
}

// mapItem is one key = value pair of a map attribute, with both ranges.
type mapItem struct {
	key, value           string
	keyRange, valueRange hcl.Range
}

// strMap reads a map of strings, in the order the pairs are written when
// the map is literal (so diagnostics come out in file order).
func (d *decoder) strMap(attr *hcl.Attribute) ([]mapItem, bool) {
	v, ok := d.value(attr.Expr)
	if !ok {
		return nil, false
	}
	ty := v.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		d.typeError(attr, attr.Expr.Range(), "map of string", ty)
		return nil, false
	}

	var items []mapItem
	if pairs, diags := hcl.ExprMap(attr.Expr); !diags.HasErrors() {
		for _, p := range pairs {
			kv, kdiags := p.Key.Value(nil)
			if kdiags.HasErrors() || kv.Type() != cty.String || kv.IsNull() {
				// Value() above would already have failed on such a key.
				continue
			}
			items = append(items, mapItem{key: kv.AsString(), keyRange: p.Key.Range(), valueRange: p.Value.Range()})
		}
	} else {
		for it := v.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			items = append(items, mapItem{key: k.AsString(), keyRange: attr.Expr.Range(), valueRange: attr.Expr.Range()})
		}
	}

	good := true
	for i := range items {
		var elem cty.Value
		if ty.IsObjectType() {
			elem = v.GetAttr(items[i].key)
		} else {
			elem = v.Index(cty.StringVal(items[i].key))
		}
		if elem.IsNull() || elem.Type() != cty.String {
			good = false
			d.errorf(items[i].valueRange, "Incorrect attribute value type",
				"Inappropriate value for %q in attribute %q: string required, but have %s.", items[i].key, attr.Name, elem.Type().FriendlyName())
			continue
		}
		items[i].value = elem.AsString()
	}
	if !good {
		return nil, false
	}
	return items, true
}
