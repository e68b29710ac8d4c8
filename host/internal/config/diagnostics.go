package config

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// DiagnosticsError is every problem Load found in a config file, each with
// the place in the file it is about.
type DiagnosticsError struct {
	diags hcl.Diagnostics
	files map[string]*hcl.File
}

// Diagnostics returns the problems in the order they were found.
func (e *DiagnosticsError) Diagnostics() hcl.Diagnostics { return e.diags }

// Error gives one line per diagnostic, "file:line,col: summary; detail",
// which suits logs and test output. WriteTo gives the longer form.
func (e *DiagnosticsError) Error() string {
	var b strings.Builder
	for i, d := range e.diags {
		if i > 0 {
			b.WriteByte('\n')
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s:%d,%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		b.WriteString(d.Summary)
		if d.Detail != "" {
			b.WriteString("; ")
			b.WriteString(strings.Join(strings.Fields(d.Detail), " "))
		}
	}
	return b.String()
}

// WriteTo writes each diagnostic the way hcl's text writer does: a heading,
// "on file line N", the source lines with the subject marked, and the
// detail wrapped to 78 columns. It never writes colour codes, because the
// output often lands in a log or a CI transcript.
func (e *DiagnosticsError) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	err := hcl.NewDiagnosticTextWriter(cw, e.files, 78, false).WriteDiagnostics(e.diags)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
