package config

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// want is one diagnostic a bad file must give: where ("line,col") and a
// fragment of its one-line text.
type want struct {
	pos      string
	fragment string
}

// badFiles maps each file in testdata/bad to every diagnostic it must give,
// in order. TestBadFilesAllListed keeps the two in step.
var badFiles = map[string][]want{
	"unknown_attr.hcl":        {{"1,1", `Unsupported argument; An argument named "data_dri" is not expected here. Did you mean "data_dir"?`}},
	"unknown_block.hcl":       {{"2,1", `Unsupported block type; Blocks of type "databse" are not expected here`}},
	"unknown_nested_attr.hcl": {{"2,3", `Did you mean "interval"?`}},
	"attr_as_block.hcl":       {{"2,3", `Did you mean to define argument "listen"?`}},
	"watch_string.hcl":        {{"2,11", `attribute "watch": bool required, but have string`}},
	"listen_number.hcl":       {{"2,12", `attribute "listen": string required, but have number`}},
	"cors_string.hcl":         {{"2,26", `list of string required, but have string`}},
	"cors_element_number.hcl": {{"4,5", `element 1 of attribute "cors_allowed_origins": string required, but have number`}},
	"cors_trailing_slash.hcl": {{"2,52", `Invalid CORS origin; "https://dash.example.test/" is not an origin`}},
	"cors_not_origins.hcl": {
		{"3,5", `"localhost:5173" is not an origin; write scheme://host[:port]`},
		{"4,5", `An origin has no user name or password; try "https://dash.example.test"`},
	},
	"listen_no_port.hcl":                {{"2,12", `Invalid listen address; listen must be host:port`}},
	"duration_words.hcl":                {{"2,14", `Invalid duration; interval: "30 seconds" is not a duration`}},
	"duration_number.hcl":               {{"2,18", `A bare number has no unit`}},
	"duration_days.hcl":                 {{"2,14", `7 days is "168h"`}},
	"log_level.hcl":                     {{"1,13", `Invalid log_level; log_level must be one of trace, debug, info, warn, error; got "loud"`}},
	"log_format.hcl":                    {{"2,14", `log_format must be one of text, json; got "xml"`}},
	"interval_zero.hcl":                 {{"2,14", `interval must be longer than zero`}},
	"interval_negative.hcl":             {{"2,14", `interval must be longer than zero, got "-30s"`}},
	"call_timeout_zero.hcl":             {{"2,18", `call_timeout must be longer than zero`}},
	"max_concurrency_zero.hcl":          {{"2,21", `it must be at least 1, got 0`}},
	"max_concurrency_negative.hcl":      {{"2,21", `it must be at least 1, got -4`}},
	"max_concurrency_fraction.hcl":      {{"2,21", `max_concurrency must be a whole number, got 1.5`}},
	"max_concurrency_string.hcl":        {{"2,21", `number required, but have string`}},
	"jitter_equals_interval.hcl":        {{"3,14", `jitter (10s) must be shorter than interval (10s)`}},
	"interval_below_default_jitter.hcl": {{"2,14", `jitter (5s) must be shorter than interval (3s)`}},
	"jitter_negative.hcl":               {{"2,12", `jitter must not be negative`}},
	"hourly_below_keep_all.hcl":         {{"3,16", `hourly_for must be at least keep_all`}},
	"limits_zero.hcl":                   {{"2,23", `accounts_per_user is how many exchange accounts one user may have; it must be from 1 to 1000000, got 0`}},
	"limits_bad.hcl": {
		{"2,23", `it must be from 1 to 1000000, got 1000001`},
		{"3,23", `webhooks_per_user must be a whole number, got 2.5`},
	},
	"testnet_endpoints_bad.hcl": {
		{"3,5", `Invalid endpoint key`},
		{"4,12", `The rest endpoint must be an absolute http or https URL`},
	},
	"read_timeout_zero.hcl":          {{"2,18", `read_timeout must be longer than zero`}},
	"max_streamed_accounts_zero.hcl": {{"2,27", `max_streamed_accounts is how many of the exchange's accounts may be streamed from this host; it must be from 1 to 1000000, got 0`}},
	"max_connections_zero.hcl":       {{"2,21", `max_connections must be between 1 and 1000000, got 0`}},
	"metrics_token_short.hcl":        {{"2,19", `metrics_token must be at least 16 characters long`}},
	"metrics_listen_no_port.hcl":     {{"2,20", `Invalid listen address; listen must be host:port`}},
	"replay_window_negative.hcl":     {{"2,19", `replay_window must not be negative`}},
	"store_backend_unknown.hcl":      {{"2,13", `backend must be one of bbolt, postgres; got "mysql"`}},
	"store_dsn_without_postgres.hcl": {{"1,1", `dsn (at testdata/bad/store_dsn_without_postgres.hcl:2) is the PostgreSQL connection string; set backend = "postgres"`}},
	"store_dsn_malformed.hcl":        {{"1,1", `dsn (at testdata/bad/store_dsn_malformed.hcl:3): it must be a URL`}},
	"cluster_bad.hcl": {
		{"2,15", `Invalid host_id`},
		{"3,15", `lease_ttl must be at least 3s`},
	},
	"public_url_relative.hcl": {{"2,16", `Invalid public_url; public_url must be an absolute http or https URL, such as "https://hub.example.com"; got "hub.example.com".`}},
	"public_url_query.hcl":    {{"2,16", `public_url is a base URL and cannot have a query or fragment`}},
	"public_url_userinfo.hcl": {{"2,16", `public_url must not carry a user name or password.`}},
	"public_url_dots.hcl":     {{"2,16", `public_url cannot have . or .. in its path`}},
	"public_url_ftp.hcl":      {{"2,16", `got "ftp://hub.example.com"`}},
	"duplicate_exchange.hcl": {
		{"7,1", `Duplicate exchange block; An exchange "acme" block was already defined at testdata/bad/duplicate_exchange.hcl:1.`},
		{"8,12", `Invalid sha256`},
	},
	"duplicate_block.hcl":   {{"4,1", `Duplicate api block; An api block was already defined at testdata/bad/duplicate_block.hcl:1.`}},
	"exchange_upper.hcl":    {{"1,10", `Invalid exchange name; An exchange name is the name its plugin reports: lower-case`}},
	"exchange_dot.hcl":      {{"1,10", `got "acme.v2"`}},
	"exchange_no_label.hcl": {{"1,10", `Missing name for exchange`}},
	"sha256_short.hcl":      {{"2,12", `Invalid sha256; sha256 must be the 64 hexadecimal characters`}},
	"sha256_not_hex.hcl":    {{"2,12", `got characters that are not 0-9 or a-f`}},
	"endpoint_relative.hcl": {{"3,12", `The rest endpoint must be an absolute http or https URL`}},
	"endpoint_ftp.hcl":      {{"2,24", `got "ftp://api.acme.test"`}},
	"endpoint_query.hcl":    {{"4,12", `cannot have a query or fragment`}},
	"endpoint_userinfo.hcl": {{"3,12", `must not carry a user name or password`}},
	"endpoint_number.hcl":   {{"3,12", `Inappropriate value for "rest" in attribute "endpoints": string required, but have number`}},
	"endpoint_bad_key.hcl":  {{"3,5", `Invalid endpoint key`}},
	"endpoints_list.hcl":    {{"2,15", `map of string required, but have tuple`}},
	"key_env_secret.hcl":    {{"2,13", `Invalid environment variable name`}},
	"data_dir_empty.hcl":    {{"1,12", `Empty path`}},
	"variable.hcl":          {{"1,12", `Variables not allowed`}},
	"function_call.hcl":     {{"1,12", `Function calls not allowed`}},
	"syntax_error.hcl":      {{"1,6", `Unclosed configuration block`}},
	"many_errors.hcl": {
		{"1,13", `Invalid log_level`},
		{"4,12", `string required, but have number`},
		{"8,21", `is not a duration`},
		{"9,21", `at least 1`},
		{"13,12", `Invalid sha256`},
	},
}

var diagLineRE = regexp.MustCompile(`^(testdata/bad/[a-z0-9_]+\.hcl):(\d+,\d+): (.*)$`)

func TestBadFiles(t *testing.T) {
	for name, wants := range badFiles {
		t.Run(strings.TrimSuffix(name, ".hcl"), func(t *testing.T) {
			path := "testdata/bad/" + name
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", path, cfg)
			}
			var de *DiagnosticsError
			if !errors.As(err, &de) {
				t.Fatalf("error is %T (%v), want *DiagnosticsError", err, err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(wants) || len(de.Diagnostics()) != len(wants) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(lines), len(wants), err)
			}
			for i, w := range wants {
				m := diagLineRE.FindStringSubmatch(lines[i])
				if m == nil {
					t.Errorf("diagnostic %d %q does not start with file:line,col", i, lines[i])
					continue
				}
				if m[1] != path || m[2] != w.pos {
					t.Errorf("diagnostic %d at %s:%s, want %s:%s\n%s", i, m[1], m[2], path, w.pos, lines[i])
				}
				if !strings.Contains(m[3], w.fragment) {
					t.Errorf("diagnostic %d = %q\nwant it to contain %q", i, m[3], w.fragment)
				}
			}
		})
	}
}

// TestBadFilesAllListed fails when a file is added to testdata/bad without
// saying what it must report, or a table entry has lost its file.
func TestBadFilesAllListed(t *testing.T) {
	onDisk, err := filepath.Glob("testdata/bad/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	for i := range onDisk {
		onDisk[i] = filepath.Base(onDisk[i])
	}
	var listed []string
	for name := range badFiles {
		listed = append(listed, name)
	}
	slices.Sort(onDisk)
	slices.Sort(listed)
	if !slices.Equal(onDisk, listed) {
		t.Errorf("testdata/bad and badFiles differ:\non disk: %v\nlisted:  %v", onDisk, listed)
	}
}

// TestDiagnosticsKeepSecretsOut checks that values which may be secrets
// are not repeated in the one-line error, which is what ends up in logs.
func TestDiagnosticsKeepSecretsOut(t *testing.T) {
	tests := []struct {
		file, secret string
	}{
		{"endpoint_userinfo.hcl", "hunter2"},
		{"key_env_secret.hcl", "c2VjcmV0LW1hc3Rlci1rZXktZG8tbm90LWxlYWstMTIzNDU2Nzg5MA"},
		{"store_dsn_without_postgres.hcl", "Hunter2Secret"},
		{"store_dsn_malformed.hcl", "Hunter2Secret"},
	}
	for _, tt := range tests {
		_, err := Load("testdata/bad/" + tt.file)
		if err == nil {
			t.Fatalf("%s: no error", tt.file)
		}
		if strings.Contains(err.Error(), tt.secret) {
			t.Errorf("%s: error repeats the secret: %s", tt.file, err)
		}
	}
}

func TestWriteTo(t *testing.T) {
	_, err := Load("testdata/bad/many_errors.hcl")
	var de *DiagnosticsError
	if !errors.As(err, &de) {
		t.Fatalf("error is %T (%v), want *DiagnosticsError", err, err)
	}
	var buf bytes.Buffer
	n, werr := de.WriteTo(&buf)
	if werr != nil {
		t.Fatal(werr)
	}
	out := buf.String()
	if n != int64(len(out)) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, len(out))
	}
	for _, s := range []string{
		"Error: Invalid log_level\n",
		"  on testdata/bad/many_errors.hcl line 1:\n",
		`   1: log_level = "loud"`,
		"  on testdata/bad/many_errors.hcl line 4, in api:\n",
		"   4:   listen = 8080",
		"Error: Invalid sha256\n",
		`  13:   sha256 = "nope"`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("WriteTo output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("WriteTo output has colour codes:\n%q", out)
	}
	if got := strings.Count(out, "Error: "); got != 5 {
		t.Errorf("WriteTo wrote %d diagnostics, want 5:\n%s", got, out)
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.hcl")
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	var de *DiagnosticsError
	if errors.As(err, &de) {
		t.Errorf("a missing file gave a DiagnosticsError")
	}
}

// contractDefaults is the default column of docs/configuration.md written
// out independently of the code, so a changed constant in config.go fails
// here.
func contractDefaults(base string) *Config {
	return &Config{
		DataDir:   filepath.Join(base, "data"),
		LogLevel:  "info",
		LogFormat: "text",
		API: API{Listen: "127.0.0.1:8080", CORSAllowedOrigins: []string{},
			ReadTimeout: 30 * time.Second, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
			MaxConnections: 1024},
		Encryption: Encryption{KeyFile: filepath.Join(base, "data", "master.key"), KeyEnv: "GAHOST_MASTER_KEY"},
		Plugins:    Plugins{Dir: filepath.Join(base, "bin", "plugins"), Watch: true, RequireChecksums: false},
		Sync: Sync{
			Interval:       30 * time.Second,
			Jitter:         5 * time.Second,
			CallTimeout:    10 * time.Second,
			MaxConcurrency: 64,
		},
		History:   History{KeepAll: 168 * time.Hour, HourlyFor: 2160 * time.Hour},
		Streams:   Streams{Enabled: false, ReconcileInterval: 10 * time.Minute},
		Limits:    Limits{AccountsPerUser: 50, WebhooksPerUser: 100},
		Webhooks:  Webhooks{ReplayWindow: time.Minute},
		Store:     Store{Backend: "bbolt"},
		Cluster:   Cluster{LeaseTTL: 30 * time.Second},
		Exchanges: map[string]Exchange{},
	}
}

func TestDefault(t *testing.T) {
	got := Default()
	want := contractDefaults("")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Default() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestGoodFiles(t *testing.T) {
	const pin = "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		src  string
		// edit turns the defaults (paths under dir) into what src gives.
		edit func(c *Config, dir string)
	}{
		{"empty file", "", func(*Config, string) {}},
		{"comments only", "# nothing\n// still nothing\n/* none */\n", func(*Config, string) {}},
		{"empty blocks", "api {}\nencryption {}\nplugins {}\nsync {}\nhistory {}\nlimits {}\n", func(*Config, string) {}},
		{"postgres store and a cluster", "store {\n  backend = \"postgres\"\n  dsn = \"postgres://gahost@db/gahost\"\n}\ncluster {\n  host_id = \"hub-1.eu\"\n  lease_ttl = \"45s\"\n}\n",
			func(c *Config, dir string) {
				c.Store = Store{Backend: "postgres", DSN: "postgres://gahost@db/gahost", DSNSource: "config.hcl:3"}
				c.Cluster = Cluster{HostID: "hub-1.eu", LeaseTTL: 45 * time.Second}
			}},
		{"postgres store, DSN from the environment", "store {\n  backend = \"postgres\"\n}\n",
			func(c *Config, _ string) { c.Store.Backend = "postgres" }},
		{"null keeps default", "data_dir = null\nsync {\n  interval = null\n  max_concurrency = null\n}\n", func(*Config, string) {}},
		{
			"everything set",
			`data_dir   = "/var/lib/gahost"
log_level  = "debug"
log_format = "json"
api {
  listen               = "[::1]:9000"
  cors_allowed_origins = ["http://localhost:5173", "https://dash.example.test:8443", "*"]
}
encryption {
  key_file = "secrets/key.bin"
  key_env  = "MY_KEY"
}
plugins {
  dir               = "/opt/gahost/plugins"
  watch             = false
  require_checksums = true
}
sync {
  interval        = "1m30s"
  jitter          = "0s"
  max_concurrency = 8
  call_timeout    = "2500ms"
}
history {
  keep_all   = "24h"
  hourly_for = "24h"
}
streams {
  enabled            = true
  reconcile_interval = "15m"
}
limits {
  accounts_per_user = 3
  webhooks_per_user = 1000000
}
exchange "acme" {
  sha256    = "` + pin + `"
  endpoints = {
    rest = "https://proxy.example.test/acme/"
    ws   = "http://127.0.0.1:9999"
  }
  testnet_endpoints = {
    rest      = "https://testnet-proxy.example.test/"
    stream_ws = "wss://testnet-stream.example.test"
  }
  max_streamed_accounts = 40
}
exchange "zeta_2-x" {
}
`,
			func(c *Config, dir string) {
				c.DataDir = "/var/lib/gahost"
				c.LogLevel = "debug"
				c.LogFormat = "json"
				c.API.Listen = "[::1]:9000"
				c.API.CORSAllowedOrigins = []string{"http://localhost:5173", "https://dash.example.test:8443", "*"}
				c.Encryption = Encryption{KeyFile: filepath.Join(dir, "secrets", "key.bin"), KeyEnv: "MY_KEY"}
				c.Plugins = Plugins{Dir: "/opt/gahost/plugins", Watch: false, RequireChecksums: true}
				c.Sync = Sync{Interval: 90 * time.Second, Jitter: 0, CallTimeout: 2500 * time.Millisecond, MaxConcurrency: 8}
				c.History = History{KeepAll: 24 * time.Hour, HourlyFor: 24 * time.Hour}
				c.Streams = Streams{Enabled: true, ReconcileInterval: 15 * time.Minute}
				c.Limits = Limits{AccountsPerUser: 3, WebhooksPerUser: 1_000_000}
				c.Exchanges = map[string]Exchange{
					"acme": {
						Name:   "acme",
						SHA256: strings.ToLower(pin),
						Endpoints: map[string]string{
							"rest": "https://proxy.example.test/acme",
							"ws":   "http://127.0.0.1:9999",
						},
						TestnetEndpoints:    map[string]string{"rest": "https://testnet-proxy.example.test", "stream_ws": "wss://testnet-stream.example.test"},
						MaxStreamedAccounts: 40,
						Source:              "config.hcl:35",
					},
					"zeta_2-x": {Name: "zeta_2-x", Endpoints: map[string]string{}, TestnetEndpoints: map[string]string{},
						Source: "config.hcl:47"},
				}
			},
		},
		{
			"server limits, metrics and webhooks",
			`api {
  read_timeout    = "5s"
  write_timeout   = "20s"
  idle_timeout    = "1m"
  max_connections = 50
  metrics_token   = "0123456789abcdef"
  metrics_listen  = "127.0.0.1:9090"
  public_url      = "https://hub.example.test/gahost/"
}
webhooks {
  replay_window = "0s"
}
`,
			func(c *Config, dir string) {
				c.API.ReadTimeout, c.API.WriteTimeout, c.API.IdleTimeout = 5*time.Second, 20*time.Second, time.Minute
				c.API.MaxConnections = 50
				c.API.MetricsToken, c.API.MetricsListen = "0123456789abcdef", "127.0.0.1:9090"
				c.API.PublicURL = "https://hub.example.test/gahost"
				c.Webhooks.ReplayWindow = 0
			},
		},
		{
			"key file follows data_dir",
			"data_dir = \"state\"\n",
			func(c *Config, dir string) {
				c.DataDir = filepath.Join(dir, "state")
				c.Encryption.KeyFile = filepath.Join(dir, "state", "master.key")
			},
		},
		{
			"key_env empty turns the environment off",
			"encryption {\n  key_env = \"\"\n}\n",
			func(c *Config, _ string) { c.Encryption.KeyEnv = "" },
		},
		{
			"jitter just below interval",
			"sync {\n  interval = \"2s\"\n  jitter = \"1999ms\"\n}\n",
			func(c *Config, _ string) { c.Sync.Interval, c.Sync.Jitter = 2*time.Second, 1999*time.Millisecond },
		},
		{
			"random port for tests",
			"api {\n  listen = \"127.0.0.1:0\"\n}\n",
			func(c *Config, _ string) { c.API.Listen = "127.0.0.1:0" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.hcl")
			if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir) // so that Source reads "config.hcl:N"
			got, err := Load("config.hcl")
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := contractDefaults(dir)
			want.Path = path
			tt.edit(want, dir)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestPathResolution checks that relative paths follow the config file and
// not the working directory, whichever way the file is named.
func TestPathResolution(t *testing.T) {
	root := t.TempDir()
	confDir := filepath.Join(root, "etc", "gahost")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `data_dir = "../../var/gahost"
encryption {
  key_file = "./keys/master.key"
}
plugins {
  dir = "/usr/lib/gahost/plugins"
}
`
	if err := os.WriteFile(filepath.Join(confDir, "config.hcl"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(root, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, cwd, path string
	}{
		{"absolute path", elsewhere, filepath.Join(confDir, "config.hcl")},
		{"relative from elsewhere", elsewhere, "../etc/gahost/config.hcl"},
		{"relative with dot", confDir, "./config.hcl"},
		{"bare name", confDir, "config.hcl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(tt.cwd)
			cfg, err := Load(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct{ what, got, want string }{
				{"Path", cfg.Path, filepath.Join(confDir, "config.hcl")},
				{"DataDir", cfg.DataDir, filepath.Join(root, "var", "gahost")},
				{"KeyFile", cfg.Encryption.KeyFile, filepath.Join(confDir, "keys", "master.key")},
				{"Plugins.Dir", cfg.Plugins.Dir, "/usr/lib/gahost/plugins"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
		})
	}
}

const repoConfig = "../../../config.hcl"

// TestRepoConfig loads the config.hcl shipped in the repo root and holds it
// to the documented defaults: it must give exactly the built-in ones.
func TestRepoConfig(t *testing.T) {
	cfg, err := Load(repoConfig)
	if err != nil {
		var de *DiagnosticsError
		if errors.As(err, &de) {
			var buf bytes.Buffer
			_, _ = de.WriteTo(&buf)
			t.Fatalf("repo config.hcl does not load:\n%s", buf.String())
		}
		t.Fatal(err)
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	want := contractDefaults(root)
	want.Path = filepath.Join(root, "config.hcl")
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("repo config.hcl gives\n%+v\nwant the defaults\n%+v", cfg, want)
	}
}

// TestRepoConfigExample uncomments the example exchange block in the repo's
// config.hcl and loads the result, so the example a self-hoster copies
// cannot rot.
func TestRepoConfigExample(t *testing.T) {
	src, err := os.ReadFile(repoConfig)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inExample := false
	for line := range strings.Lines(string(src)) {
		if strings.HasPrefix(line, "# exchange \"") {
			inExample = true
		}
		if inExample && strings.HasPrefix(line, "#") {
			line = strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ")
		} else {
			inExample = false
		}
		out = append(out, line)
	}
	if !slices.ContainsFunc(out, func(l string) bool { return strings.HasPrefix(l, "exchange \"") }) {
		t.Fatal("repo config.hcl has no commented-out exchange example")
	}
	path := filepath.Join(t.TempDir(), "config.hcl")
	if err := os.WriteFile(path, []byte(strings.Join(out, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("the example, uncommented, does not load: %v", err)
	}
	if len(cfg.Exchanges) != 1 {
		t.Fatalf("got %d exchanges, want 1", len(cfg.Exchanges))
	}
	for name, ex := range cfg.Exchanges {
		if len(ex.SHA256) != 64 || len(ex.Endpoints) == 0 {
			t.Errorf("example exchange %q = %+v, want a sha256 and endpoints", name, ex)
		}
	}
}

func BenchmarkLoadRepoConfig(b *testing.B) {
	for b.Loop() {
		if _, err := Load(repoConfig); err != nil {
			b.Fatal(err)
		}
	}
}
