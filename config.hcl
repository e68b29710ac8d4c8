# gahost configuration: a working default for one machine.
#
# Check your edits with:   bin/gahost config validate -config config.hcl
#
# Every block and every setting is optional; what is left out takes the value
# shown here. A misspelt or unknown setting is an error that names its line.
#
# Durations are Go duration strings: a number and a unit with no space, such
# as "500ms", "30s", "5m" or "1h30m". Units are ns, us, ms, s, m and h; there
# is no day unit, so 7 days is "168h".
#
# Relative paths (data_dir, key_file, plugins.dir) are relative to the folder
# this file is in, not to the folder you start gahost from, so the daemon
# finds the same files however it is launched. Absolute paths work too.

data_dir   = "./data"          # the database, the master key and admin.token live here
log_level  = "info"            # trace | debug | info | warn | error
log_format = "text"            # text | json

api {
  # Where the REST API listens. 127.0.0.1 keeps it on this machine; put a
  # reverse proxy with TLS in front before exposing it further.
  listen = "127.0.0.1:8080"

  # Browser origins allowed to call the API, written exactly as the browser
  # sends them: scheme://host[:port], no trailing slash. "*" allows any.
  # Example: ["http://localhost:5173", "https://dash.example.com"]
  cors_allowed_origins = []

  # HTTP server limits. read_timeout covers the whole request, body included;
  # write_timeout runs from the end of the headers to the end of the answer.
  read_timeout    = "30s"
  write_timeout   = "2m"
  idle_timeout    = "2m"         # an idle keep-alive connection is closed after this
  max_connections = 1024         # connections open at once; more are closed at accept

  # /metrics: require a bearer token (16 characters or more), and/or serve it
  # on its own address instead of on listen.
  # metrics_token  = "a-long-random-string"
  # metrics_listen = "127.0.0.1:9090"

  # Where clients reach gahost from outside (through your TLS proxy). With
  # it, webhook answers carry the full URL to paste into TradingView;
  # without it they carry the path /hooks/<token> only.
  # public_url = "https://hub.example.com"
}

encryption {
  # Exchange API keys are stored encrypted under a 32-byte master key.
  # If this file does not exist it is created (mode 0600) on first start.
  # Back it up: without it the stored API keys cannot be read.
  # Left out, it defaults to master.key inside data_dir.
  key_file = "./data/master.key"

  # Name of an environment variable holding the key as base64 of 32 bytes.
  # When that variable is set it wins over key_file. Never write the key
  # itself in this file. Set key_env = "" to ignore the environment.
  # key_env = "GAHOST_MASTER_KEY"
}

plugins {
  # Folder holding the gahost-plugin-<exchange> binaries (`make build` puts
  # them here).
  dir = "./bin/plugins"

  # Load a plugin binary dropped into dir without restarting the daemon.
  watch = true

  # When true, only plugins whose sha256 is pinned in an exchange block
  # below are started. `gahost plugins list` prints each binary's sha256.
  require_checksums = false
}

sync {
  interval        = "30s"      # how often each exchange account is synced
  jitter          = "5s"       # random spread added to each sync; below interval
  max_concurrency = 64         # account syncs running at the same time
  call_timeout    = "10s"      # limit for one call to a plugin
}

history {
  # How long the balance history behind the dashboard is kept. Both are ages
  # counted back from now: every point younger than keep_all is kept, then
  # one point per hour until hourly_for, and older points are deleted.
  # hourly_for must be at least keep_all; equal values keep no hourly tier.
  keep_all   = "168h"          # 7 days at full resolution
  hourly_for = "2160h"         # then hourly points up to 90 days
}

streams {
  # Watch accounts through the exchanges' private WebSocket streams where
  # the plugin serves them; streamed accounts are read over REST only every
  # reconcile_interval, to repair what a stream missed.
  enabled            = false
  reconcile_interval = "10m"
}

limits {
  # Per-user quotas; going over one is refused with 409 quota_exceeded.
  accounts_per_user = 50       # exchange accounts one user may have
  webhooks_per_user = 100      # webhooks one user may have
}

store {
  # Where the database is: "bbolt" is one file in data_dir, for one
  # machine; "postgres" is a PostgreSQL database several gahost hosts share.
  backend = "bbolt"
  # The PostgreSQL connection string; left out, it is read from the
  # environment variable GAHOST_STORE_DSN (which keeps the password out of
  # this file). Never logged.
  # dsn = "postgres://gahost@db.example.com/gahost"
}

cluster {
  # Only with backend = "postgres": the hosts sharing the database divide
  # the accounts through leases. host_id defaults to the machine's name.
  # host_id   = "hub-1"
  lease_ttl = "30s"            # a dead host's accounts move after at most this plus sync.interval
}

webhooks {
  # An alert without alert_id whose body is exactly the same as one received
  # this recently is a duplicate and places no order. "0s" turns it off.
  replay_window = "60s"
}

# One block per exchange, all optional. The name is the plugin's own name
# (lower case). Without a block the plugin runs with its built-in endpoints.
#
# exchange "binance" {
#   # Pin the plugin binary, like a lock file: 64 hex characters.
#   sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
#
#   # Override REST base URLs of live accounts, e.g. to go through a proxy.
#   # The keys are the plugin's own (binance: spot, futures; bybit, bingx,
#   # bitget, okx: rest). Testnet accounts never use these.
#   endpoints = {
#     spot    = "https://api.binance.com"
#     futures = "https://fapi.binance.com"
#   }
#
#   # The same for testnet (demo) accounts; a key left out keeps the
#   # plugin's built-in testnet address.
#   testnet_endpoints = {
#     spot    = "https://testnet.binance.vision"
#     futures = "https://testnet.binancefuture.com"
#   }
#
#   # With streams enabled: stream at most this many accounts, below the
#   # plugin's per-IP limits; the others are polled.
#   max_streamed_accounts = 500
# }
