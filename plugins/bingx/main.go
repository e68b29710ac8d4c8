// Command gahost-plugin-bingx is the gahost connector for BingX. The host
// starts it; run by hand it only says that it is a plugin.
package main

import (
	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/sdk"
)

// version is the plugin's version; release builds set it with
// -ldflags "-X main.version=1.2.3".
var version = "0.1.0"

func main() {
	sdk.Serve(bingx.New(sdk.WithVersion(version), sdk.WithLogger(sdk.Logger())))
}
