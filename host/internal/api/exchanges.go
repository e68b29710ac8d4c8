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
	r.authed.GET("/exchanges", h.getExchanges)
	r.admin.POST("/plugins/reload", h.postPluginsReload)
}

type exchangeJSON struct {
	Name               string   `json:"name"`
	DisplayName        string   `json:"display_name"`
	PluginVersion      string   `json:"plugin_version"`
	ProtocolVersion    int      `json:"protocol_version"`
	SDKVersion         string   `json:"sdk_version,omitempty"`
	RequiresPassphrase bool     `json:"requires_passphrase"`
	SupportsTestnet    bool     `json:"supports_testnet"`
	Capabilities       []string `json:"capabilities"`
	Status             string   `json:"status"`
	Restarts           int      `json:"restarts"`
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
