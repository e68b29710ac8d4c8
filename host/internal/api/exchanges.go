package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/streams"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
)

// Plugins is what the exchange routes need of the plugin catalog.
type Plugins interface {
	List() []plugins.Status
	Reload(ctx context.Context) ([]plugins.Status, error)
	Ready() bool
}

func registerExchanges(h *handler, r routes) {
	if h.d.Plugins == nil {
		return
	}
	r.authed.handle(http.MethodGet, "/exchanges", op{id: "listExchanges", tag: "exchanges", paged: true,
		summary: "The exchanges the loaded plugins serve, with what each needs and can do, and where their calls go",
		res:     []res{{http.StatusOK, "One entry per plugin, by name.", []exchangeJSON{}}}}, h.getExchanges)
	r.admin.handle(http.MethodPost, "/plugins/reload", op{id: "reloadPlugins", tag: "exchanges",
		summary: "Rescan the plugin directory (admin); answers the new list",
		res: []res{{http.StatusOK, "The exchanges after the reload.", []exchangeJSON{}},
			{http.StatusInternalServerError, "The reload failed (reload_failed), or an unexpected failure (internal).", errBody}},
	}, h.postPluginsReload)
}

type exchangeJSON struct {
	Name               string           `json:"name" doc:"The exchange's name, used as exchange in accounts."`
	DisplayName        string           `json:"display_name"`
	PluginVersion      string           `json:"plugin_version"`
	ProtocolVersion    int              `json:"protocol_version"`
	SDKVersion         string           `json:"sdk_version,omitempty"`
	RequiresPassphrase bool             `json:"requires_passphrase" doc:"Accounts need a passphrase (bitget, okx)."`
	SupportsTestnet    bool             `json:"supports_testnet" doc:"Accounts may set testnet."`
	Capabilities       []string         `json:"capabilities" doc:"What the plugin can do: spot_balances, futures_account, positions, orders, …"`
	Endpoints          []endpointJSON   `json:"endpoints" doc:"The plugin's REST base URLs by endpoint key, with the config's overrides for live and for testnet accounts."`
	Budget             []budgetPoolJSON `json:"budget" doc:"The exchange's rate budget per per-IP pool, shared by every account on this host; empty when the plugin declares no per-IP limit."`
	Status             string           `json:"status"`
	Restarts           int              `json:"restarts" doc:"How often the plugin process was restarted after a crash."`
	LastError          string           `json:"last_error,omitempty"`
	Streams            *streamsJSON     `json:"streams,omitempty" doc:"How the exchange's accounts are kept fresh when streams are enabled and the plugin serves them: through its private streams, or polled. Absent otherwise."`
}

// Streams is what GET /exchanges reads of the private streams.
type Streams interface {
	ExchangeStats(name string) (streams.Stats, bool)
}

type streamsJSON struct {
	Streamed              int    `json:"streamed" doc:"Accounts whose stream is connected and seeded: changes show within seconds; polled only to reconcile."`
	Subscribing           int    `json:"subscribing" doc:"Accounts handed to the stream, not yet subscribed and seeded; polled meanwhile."`
	Resyncing             int    `json:"resyncing" doc:"Accounts whose stream lost continuity and is being subscribed and seeded again; polled meanwhile."`
	Polled                int    `json:"polled" doc:"Accounts polled within the rate budget instead: over the per-IP cap, waiting for the connection rate, or whose stream failed."`
	MaxAccounts           int    `json:"max_accounts" doc:"How many accounts may be streamed from this host: the plugin's per-IP connection cap, lowered by exchange.max_streamed_accounts; 0 for no cap."`
	MaxConnections        int    `json:"max_connections" doc:"The exchange's cap on concurrent private connections per IP, as the plugin declares it; 0 when undocumented."`
	AccountsPerConnection int    `json:"accounts_per_connection" doc:"How many accounts one connection carries (0 means one)."`
	NewConnections        int    `json:"new_connections" doc:"New connections one IP may open per new_connections_window_ms; accounts are handed to the stream no faster. 0 when undocumented."`
	NewConnectionsWindow  int64  `json:"new_connections_window_ms"`
	Resyncs               uint64 `json:"resyncs" doc:"Times an account's stream lost continuity and was subscribed and seeded again, since the daemon started."`
	Mismatches            uint64 `json:"mismatches" doc:"Parts that a reconciling REST read found different from what the stream had written (repaired from REST), since the daemon started."`
	MismatchesSpot        uint64 `json:"mismatches_spot_balances"`
	MismatchesFutures     uint64 `json:"mismatches_futures_account"`
	MismatchesPositions   uint64 `json:"mismatches_positions"`
	Changes               uint64 `json:"changes" doc:"Account changes the streams pushed and the host wrote, since the daemon started."`
	LagP99MS              int64  `json:"lag_p99_ms" doc:"99th percentile of the latest changes' delay from the exchange's event time to the host's write, in milliseconds; 0 before any."`
}

func streamsOf(s streams.Stats) *streamsJSON {
	j := &streamsJSON{Streamed: s.Streamed, Subscribing: s.Subscribing, Resyncing: s.Resyncing, Polled: s.Polled,
		MaxAccounts: s.Cap, MaxConnections: s.Limits.MaxConnections, AccountsPerConnection: s.Limits.AccountsPerConnection,
		NewConnections: s.Limits.NewConnections, NewConnectionsWindow: s.Limits.NewConnectionsWindow.Milliseconds(),
		Resyncs: s.Resyncs, Changes: s.Changes, LagP99MS: s.LagP99.Milliseconds(),
		MismatchesSpot: s.Mismatches[sdk.CapSpotBalances], MismatchesFutures: s.Mismatches[sdk.CapFuturesAccount],
		MismatchesPositions: s.Mismatches[sdk.CapPositions]}
	j.Mismatches = j.MismatchesSpot + j.MismatchesFutures + j.MismatchesPositions
	return j
}

type budgetPoolJSON struct {
	Pool        string `json:"pool" doc:"The rate limit's name as the plugin declares it."`
	Limit       int64  `json:"limit" doc:"The exchange's limit per window (lower than declared if the exchange reported less)."`
	WindowMS    int64  `json:"window_ms" doc:"Length of the exchange's rate-limit window in milliseconds."`
	Aligned     bool   `json:"aligned" doc:"The exchange counts this limit per clock window (windows start on the clock's multiples of window_ms, as Binance counts per clock minute): used is then the current window's count."`
	Allowed     int64  `json:"allowed" doc:"Weight per window this host plans to send: a safety share of the limit."`
	Used        int64  `json:"used" doc:"Weight spent over the last window, by this host and what the exchange counted from others on the IP."`
	UsedPercent int64  `json:"used_percent" doc:"used as a whole percentage of limit."`
}

func budgetJSON(ps []budget.PoolStats) []budgetPoolJSON {
	out := make([]budgetPoolJSON, 0, len(ps))
	for _, p := range ps {
		b := budgetPoolJSON{Pool: p.Name, Limit: p.Limit, WindowMS: p.Window.Milliseconds(), Aligned: p.Aligned, Allowed: p.Allowed, Used: p.Used}
		if p.Limit > 0 {
			b.UsedPercent = p.Used * 100 / p.Limit
		}
		out = append(out, b)
	}
	return out
}

type endpointJSON struct {
	Key string `json:"key" doc:"The plugin's name for the base URL (spot, futures, rest, …), as config.hcl's endpoints take it."`
	// Live and Testnet are nil where neither config nor the plugin says.
	Live    *string `json:"live" doc:"Where live accounts' calls go: the override of exchange.endpoints, else the plugin's built-in address; null when an older plugin does not report it."`
	Testnet *string `json:"testnet" doc:"Where testnet (demo) accounts' calls go: the override of exchange.testnet_endpoints, else the plugin's built-in testnet address; null when there is none or an older plugin does not report it. A live override never applies here."`
	// Overridden says which of the two come from config.
	LiveOverridden    bool `json:"live_overridden" doc:"live comes from config.hcl, not from the plugin."`
	TestnetOverridden bool `json:"testnet_overridden" doc:"testnet comes from config.hcl, not from the plugin."`
}

// ExchangeEndpoints are the config's base URL overrides of one exchange,
// by endpoint key.
type ExchangeEndpoints struct {
	Live, Testnet map[string]string
}

// endpointsJSON lists the plugin's endpoint keys with where their calls
// go: the overrides of ov, else the plugin's built-in addresses.
func endpointsJSON(info sdk.Info, ov ExchangeEndpoints) []endpointJSON {
	defaults := make(map[string]sdk.Endpoint, len(info.DefaultEndpoints))
	for _, d := range info.DefaultEndpoints {
		defaults[d.Key] = d
	}
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := make([]endpointJSON, 0, len(info.EndpointKeys))
	for _, k := range info.EndpointKeys {
		d := defaults[k]
		e := endpointJSON{Key: k, Live: str(d.Live), Testnet: str(d.Testnet)}
		if !info.SupportsTestnet {
			e.Testnet = nil
		}
		if u, ok := ov.Live[k]; ok {
			e.Live, e.LiveOverridden = &u, true
		}
		if u, ok := ov.Testnet[k]; ok {
			e.Testnet, e.TestnetOverridden = &u, true
		}
		out = append(out, e)
	}
	return out
}

func (h *handler) exchangesJSON(sts []plugins.Status) []exchangeJSON {
	out := make([]exchangeJSON, 0, len(sts))
	for _, s := range sts {
		caps := s.Info.Capabilities
		if caps == nil {
			caps = []string{}
		}
		var st *streamsJSON
		if h.d.Streams != nil {
			if x, ok := h.d.Streams.ExchangeStats(s.Name); ok {
				st = streamsOf(x)
			}
		}
		out = append(out, exchangeJSON{
			Streams: st,
			Name:    s.Name, DisplayName: s.Info.DisplayName, PluginVersion: s.Info.Version,
			ProtocolVersion: pluginhost.ProtocolVersion, SDKVersion: s.Info.SDKVersion,
			RequiresPassphrase: s.Info.RequiresPassphrase, SupportsTestnet: s.Info.SupportsTestnet,
			Capabilities: caps, Endpoints: endpointsJSON(s.Info, h.d.Endpoints[s.Name]), Budget: budgetJSON(s.Budget), Status: s.State, Restarts: s.Restarts, LastError: s.LastError,
		})
	}
	return out
}

func (h *handler) getExchanges(c *gin.Context) {
	p, ok := readPage(c)
	if !ok {
		return
	}
	list, next := pageOf(h.exchangesJSON(h.d.Plugins.List()), func(x exchangeJSON) string { return x.Name }, p)
	nextPage(c, next)
	c.JSON(http.StatusOK, list)
}

func (h *handler) postPluginsReload(c *gin.Context) {
	sts, err := h.d.Plugins.Reload(c.Request.Context())
	if err != nil {
		h.log.Error("plugin reload failed", "error", err)
		writeError(c, http.StatusInternalServerError, codeReloadFailed, "plugin reload failed: "+err.Error())
		return
	}
	c.JSON(http.StatusOK, h.exchangesJSON(sts))
}
