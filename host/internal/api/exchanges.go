package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/plugins"
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
	r.authed.handle(http.MethodGet, "/exchanges", op{id: "listExchanges", tag: "exchanges",
		summary: "The exchanges the loaded plugins serve, with what each needs and can do",
		res:     []res{{http.StatusOK, "One entry per plugin, by name.", []exchangeJSON{}}}}, h.getExchanges)
	r.admin.handle(http.MethodPost, "/plugins/reload", op{id: "reloadPlugins", tag: "exchanges",
		summary: "Rescan the plugin directory (admin); answers the new list",
		res: []res{{http.StatusOK, "The exchanges after the reload.", []exchangeJSON{}},
			{http.StatusInternalServerError, "The reload failed (reload_failed), or an unexpected failure (internal).", errBody}},
	}, h.postPluginsReload)
}

type exchangeJSON struct {
	Name               string   `json:"name" doc:"The exchange's name, used as exchange in accounts."`
	DisplayName        string   `json:"display_name"`
	PluginVersion      string   `json:"plugin_version"`
	ProtocolVersion    int      `json:"protocol_version"`
	SDKVersion         string   `json:"sdk_version,omitempty"`
	RequiresPassphrase bool     `json:"requires_passphrase" doc:"Accounts need a passphrase (bitget, okx)."`
	SupportsTestnet    bool     `json:"supports_testnet" doc:"Accounts may set testnet."`
	Capabilities       []string `json:"capabilities" doc:"What the plugin can do: spot_balances, futures_account, positions, orders, …"`
	Status             string   `json:"status"`
	Restarts           int      `json:"restarts" doc:"How often the plugin process was restarted after a crash."`
	LastError          string   `json:"last_error,omitempty"`
}

func exchangesJSON(sts []plugins.Status) []exchangeJSON {
	out := make([]exchangeJSON, 0, len(sts))
	for _, s := range sts {
		caps := s.Info.Capabilities
		if caps == nil {
			caps = []string{}
		}
		out = append(out, exchangeJSON{
			Name: s.Name, DisplayName: s.Info.DisplayName, PluginVersion: s.Info.Version,
			ProtocolVersion: pluginhost.ProtocolVersion, SDKVersion: s.Info.SDKVersion,
			RequiresPassphrase: s.Info.RequiresPassphrase, SupportsTestnet: s.Info.SupportsTestnet,
			Capabilities: caps, Status: s.State, Restarts: s.Restarts, LastError: s.LastError,
		})
	}
	return out
}

func (h *handler) getExchanges(c *gin.Context) {
	c.JSON(http.StatusOK, exchangesJSON(h.d.Plugins.List()))
}

func (h *handler) postPluginsReload(c *gin.Context) {
	sts, err := h.d.Plugins.Reload(c.Request.Context())
	if err != nil {
		h.log.Error("plugin reload failed", "error", err)
		writeError(c, http.StatusInternalServerError, codeReloadFailed, "plugin reload failed: "+err.Error())
		return
	}
	c.JSON(http.StatusOK, exchangesJSON(sts))
}
