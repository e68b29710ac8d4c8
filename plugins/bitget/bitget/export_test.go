package bitget

// SetClientOids replaces how c names the orders a caller left unnamed, so
// that tests can predict the bytes sent.
func SetClientOids(c *Connector, f func() string) { c.newClientOid = f }
