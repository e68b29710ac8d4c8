package api

import (
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ServerLimits are the HTTP server's limits (the api block of the config).
type ServerLimits struct {
	// ReadTimeout bounds reading a whole request, body included: a client
	// trickling its body a byte at a time is cut off after it.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of its answer.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection waiting for its next
	// request.
	IdleTimeout time.Duration
	// MaxConnections caps the connections open at once (see LimitListener).
	MaxConnections int
}

// maxHeaderWait is how long the headers of a request may take at most;
// ReadTimeout applies when it is shorter.
const maxHeaderWait = 10 * time.Second

// NewServer returns the http.Server for handler with the limits applied.
func NewServer(handler http.Handler, lim ServerLimits, errorLog *log.Logger) *http.Server {
	header := maxHeaderWait
	if lim.ReadTimeout > 0 {
		header = min(header, lim.ReadTimeout)
	}
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: header,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
	}
}

// LimitListener caps the connections of ln open at once at max. A
// connection over the cap is closed as soon as it is accepted, rather than
// left waiting in the kernel's queue, so a flood of slow clients costs the
// daemon no more than max file descriptors and the refusal is immediate.
// Refusals are counted in gahost_http_connections_refused_total when reg is
// not nil. max <= 0 leaves ln uncapped.
func LimitListener(ln net.Listener, max int, reg prometheus.Registerer) (net.Listener, error) {
	if max <= 0 {
		return ln, nil
	}
	l := &limitListener{Listener: ln, slots: make(chan struct{}, max)}
	if reg != nil {
		l.refused = prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gahost_http_connections_refused_total",
			Help: "Connections closed at accept because api.max_connections were already open.",
		})
		if err := reg.Register(l.refused); err != nil {
			return nil, err
		}
	}
	return l, nil
}

type limitListener struct {
	net.Listener
	slots   chan struct{}
	refused prometheus.Counter
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			_ = c.Close()
			if l.refused != nil {
				l.refused.Inc()
			}
		}
	}
}

// limitConn gives its slot back when closed, once.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
