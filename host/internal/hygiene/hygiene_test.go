package hygiene

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/host/internal/hosttest"
)

// The lines below are built from pieces so that this file, which the
// repository check also reads, holds none of what it looks for.
const sec = section

var shared = "../" + "shared"

// pages stands in for docs/ in the table tests.
var pages = map[string][]string{
	"api.md":           {"The gahost REST API", "Error codes", "Create a user and log in"},
	"configuration.md": {"`api` block", "api block", "Top level"},
}

func TestCheck(t *testing.T) {
	c := &Checker{Pages: pages}
	cases := []struct {
		line string
		want []string // what the one finding's reason must contain; nil for a clean line
	}{
		{"// Plain comment with no reference.", nil},
		{"// Answers the codes of docs/api.md " + sec + "Error codes.", nil},
		{"// (docs/api.md, " + sec + "Create a user and log in)", nil},
		{"// see docs/configuration.md " + sec + "`api` block", nil},
		{"// see docs/configuration.md " + sec + "api block and " + sec + "x", []string{"does not follow"}},
		{"// docs/configuration.md " + sec + " Top level: data_dir", nil},
		{"// CONTRACT " + sec + "7: the error envelope", []string{"does not follow"}},
		{"// one row of GET /fapi/v3/positionRisk (" + sec + "5c)", []string{"does not follow"}},
		{"// " + sec + "5d, " + sec + "5e", []string{"does not follow"}},
		{"// docs/api.md " + sec + "Errors", []string{"no heading"}},
		{"// docs/api.md " + sec + "Error codesX", []string{"no heading"}},
		{"// docs/missing.md " + sec + "Error codes", []string{"does not exist"}},
		{"// mydocs/api.md " + sec + "Error codes", []string{"does not follow"}},
		{"// ../docs/api.md " + sec + "Error codes", []string{"does not follow"}},
		{"// see " + shared + "/CONTR" + "ACT.md", []string{"names the shared directory", "; cites a document outside"}},
		{"# a fresh clone with " + shared + " beside it", []string{"names the shared directory"}},
		{"// as described in shar" + "ed/exchanges/okx.md (section numbers)", []string{"page of the shared directory"}},
		{"// see ARCHI" + "TECTURE.md", []string{"outside the repository"}},
		{"// see ecosystem-" + "choices for why", []string{"note outside"}},
		{"// one budget shared by every account behind an IP", nil},
		{"// the shared/ directory of a plugin", nil},
	}
	for _, tc := range cases {
		got := c.Check("x.go", []byte("package x\n"+tc.line+"\n"))
		if tc.want == nil {
			if len(got) != 0 {
				t.Errorf("%q: findings %v on a clean line", tc.line, got)
			}
			continue
		}
		if len(got) != 1 || got[0].File != "x.go" || got[0].Line != 2 {
			t.Errorf("%q: findings %v, want one at x.go:2", tc.line, got)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(got[0].Reason, w) {
				t.Errorf("%q: reason %q does not say %q", tc.line, got[0].Reason, w)
			}
		}
	}
}

func TestHeadings(t *testing.T) {
	page := "# Title\n\nText # not a heading\n## `api` block\n```sh\n# 201 a shell comment\n```\n### Flows\n#\n"
	got := Headings([]byte(page))
	want := []string{"Title", "`api` block", "api block", "Flows"}
	if !slices.Equal(got, want) {
		t.Errorf("Headings = %q, want %q", got, want)
	}
}

func TestChecked(t *testing.T) {
	cases := []struct {
		name string
		head string
		want bool
	}{
		{"host/internal/api/api.go", "pa", true},
		{"proto/exchange/v1/exchange.proto", "sy", true},
		{"scripts/genproto.sh", "#!", true},
		{"Makefile", "# ", true},
		{"docs/api.md", "# ", true},
		{"config.hcl", "# ", true},
		{"deploy/gahost.service", "[U", true},
		{".ci/run", "#!", true},
		{"host/go.sum", "gi", false},
		{"host/internal/input/testdata/fuzz/FuzzX/abc", "go", false},
	}
	for _, tc := range cases {
		if got := Checked(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("Checked(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRepository runs the check over the whole checkout: every module,
// script and page, plugins/ and sdk/ included.
func TestRepository(t *testing.T) {
	root := hosttest.RepoRoot(t)
	c, err := NewChecker(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"api.md", "configuration.md", "operations.md", "exchanges.md", "plugins.md"} {
		if len(c.Pages[page]) == 0 {
			t.Errorf("docs/%s has no headings; the check would refuse every reference to it", page)
		}
	}
	files, err := Files(root)
	if err != nil {
		t.Fatal(err)
	}
	// The selection must reach every kind of file it is meant for, or a
	// broken listing would pass by checking nothing.
	for _, must := range []string{
		"README.md", "Makefile", ".ci/run", "config.hcl", "docs/api.md",
		"proto/exchange/v1/exchange.proto", "scripts/new-plugin.sh",
		"host/internal/hygiene/hygiene_test.go", "sdk/rest/params.go",
		"plugins/binance/binance/doc.go",
	} {
		if _, ok := slices.BinarySearch(files, must); !ok {
			t.Errorf("%s is not among the %d files checked", must, len(files))
		}
	}
	var found []Finding
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		found = append(found, c.Check(f, src)...)
	}
	if len(found) == 0 {
		return
	}
	// A count per top-level area first, so a long list still says where
	// the work is.
	areas := map[string]int{}
	for _, f := range found {
		area, _, _ := strings.Cut(f.File, "/")
		if area == "plugins" || area == "host" {
			parts := strings.SplitN(f.File, "/", 3)
			if len(parts) == 3 {
				area = parts[0] + "/" + parts[1]
			}
		}
		areas[area]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d lines cite a document outside the repository or a heading docs/ does not have.\n"+
		"Point into docs/ as \"docs/<page>.md %s<heading>\" (the heading as written), or say the fact itself.\n", len(found), sec)
	for _, a := range slices.Sorted(maps.Keys(areas)) {
		fmt.Fprintf(&b, "  %-18s %d\n", a, areas[a])
	}
	for _, f := range found {
		fmt.Fprintln(&b, f)
	}
	t.Error(b.String())
}
