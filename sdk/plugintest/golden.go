package plugintest

// Golden files: what a connector must make of its fake's data, kept in
// its testdata/ directory as one row a line, so that a long expectation
// reads as a list and not as Go literals.

import (
	"os"
	"strings"
	"testing"
)

// GoldenLines reads the golden file at path: its lines trimmed of
// surrounding space, blank lines and comments (lines starting with "#")
// left out.
func GoldenLines(t testing.TB, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	var out []string
	for line := range strings.Lines(string(raw)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// Golden is a golden file cut into named sections, as GoldenSections
// reads it.
type Golden struct {
	path     string
	sections map[string][]string
}

// Rows are the rows of section name, which may be empty; t fails if the
// file has no such section.
func (g Golden) Rows(t testing.TB, name string) []string {
	t.Helper()
	rows, ok := g.sections[name]
	if !ok {
		t.Fatalf("%s has no section %q", g.path, name)
	}
	return rows
}

// GoldenSections reads the golden file at path as GoldenLines does, cut
// into sections: a line "== name ==" opens the section name (a test
// case's name, say), and the lines up to the next such line are its rows.
// A section may be empty; lines before the first section are an error.
func GoldenSections(t testing.TB, path string) Golden {
	t.Helper()
	out := map[string][]string{}
	name := ""
	for _, line := range GoldenLines(t, path) {
		if n, ok := strings.CutPrefix(line, "== "); ok && strings.HasSuffix(n, " ==") {
			name = strings.TrimSuffix(n, " ==")
			if _, dup := out[name]; dup {
				t.Fatalf("%s: section %q twice", path, name)
			}
			out[name] = []string{}
			continue
		}
		if name == "" {
			t.Fatalf("%s: %q stands before the first section", path, line)
		}
		out[name] = append(out[name], line)
	}
	return Golden{path: path, sections: out}
}
