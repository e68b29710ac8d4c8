package config

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// blockSchemas maps each block of the root schema to the schema its body is
// decoded with. A new block in rootSchema without an entry here fails
// TestSettingsAreDocumented, so the test cannot miss a block.
var blockSchemas = map[string]*hcl.BodySchema{
	"api":        apiSchema,
	"encryption": encryptionSchema,
	"plugins":    pluginsSchema,
	"sync":       syncSchema,
	"history":    historySchema,
	"streams":    streamsSchema,
	"limits":     limitsSchema,
	"webhooks":   webhooksSchema,
	"store":      storeSchema,
	"cluster":    clusterSchema,
	"exchange":   exchangeSchema,
}

// schemaSettings is every setting the decoder accepts, as "name" for a
// top-level attribute and "block.name" inside a block (labelled blocks such
// as exchange "x" drop the label).
func schemaSettings(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, a := range rootSchema.Attributes {
		out = append(out, a.Name)
	}
	for _, b := range rootSchema.Blocks {
		s, ok := blockSchemas[b.Type]
		if !ok {
			t.Fatalf("block %q is in the root schema but not in blockSchemas of docs_test.go; add it there", b.Type)
		}
		if len(s.Blocks) > 0 {
			t.Fatalf("block %q has nested blocks; teach docs_test.go to list them", b.Type)
		}
		for _, a := range s.Attributes {
			out = append(out, b.Type+"."+a.Name)
		}
	}
	slices.Sort(out)
	return out
}

// docSettings reads the settings documented in docs/configuration.md: the
// first cell of every row of a table whose header starts with "setting".
func docSettings(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	inTable := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case !strings.HasPrefix(line, "|"):
			inTable = false
		case tableHeader.MatchString(line):
			inTable = true
		case inTable:
			if m := cell.FindStringSubmatch(line); m != nil {
				out = append(out, m[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

var (
	tableHeader  = regexp.MustCompile(`^\|\s*setting\s*\|`)
	cell         = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|")
	hclBlockOpen = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\s*(?:"[^"]*"\s*)?\{$`)
	hclMapOpen   = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\s*=\s*\{$`)
	hclAttr      = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\s*=`)
	hclComment   = regexp.MustCompile(`\s+#.*$`)
)

// fileSettings reads the settings present in a commented config file, set
// or commented out: each line loses its leading "#" markers, and what is
// left is read as HCL lines (block openings, attributes, maps, closings).
// Prose in comments never starts with "name =" or ends in "{", which is
// what the file's comments keep to.
func fileSettings(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var stack []string // open blocks; "=" marks a map value being skipped
	for _, raw := range strings.Split(string(b), "\n") {
		line := strings.TrimSpace(raw)
		line = strings.TrimSpace(strings.TrimLeft(line, "#"))
		line = strings.TrimSpace(hclComment.ReplaceAllString(line, ""))
		inMap := len(stack) > 0 && stack[len(stack)-1] == "="
		prefix := ""
		if len(stack) > 0 {
			prefix = stack[len(stack)-1] + "."
		}
		switch {
		case line == "}":
			if len(stack) == 0 {
				t.Fatalf("%s: unbalanced } in %q", path, raw)
			}
			stack = stack[:len(stack)-1]
		case inMap:
			// keys of a map value are not settings
		case hclMapOpen.MatchString(line):
			out = append(out, prefix+hclMapOpen.FindStringSubmatch(line)[1])
			stack = append(stack, "=")
		case hclBlockOpen.MatchString(line):
			stack = append(stack, hclBlockOpen.FindStringSubmatch(line)[1])
		case hclAttr.MatchString(line):
			out = append(out, prefix+hclAttr.FindStringSubmatch(line)[1])
		}
	}
	if len(stack) != 0 {
		t.Fatalf("%s: blocks left open: %v", path, stack)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// missing returns what want has and got lacks.
func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}

// The decoder's schema, the reference page and the shipped config.hcl must
// list the same settings, so a setting added to the code cannot go
// undocumented and a documented one cannot linger after its removal.
func TestSettingsAreDocumented(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	code := schemaSettings(t)
	sources := []struct {
		name     string
		settings []string
	}{
		{"docs/configuration.md", docSettings(t, filepath.Join(root, "docs", "configuration.md"))},
		{"config.hcl", fileSettings(t, filepath.Join(root, "config.hcl"))},
	}
	for _, s := range sources {
		if len(s.settings) == 0 {
			t.Fatalf("%s: no settings found; has its format changed?", s.name)
		}
		if m := missing(code, s.settings); len(m) > 0 {
			t.Errorf("settings the decoder accepts but %s lacks: %s", s.name, strings.Join(m, ", "))
		}
		if m := missing(s.settings, code); len(m) > 0 {
			t.Errorf("settings in %s that the decoder does not accept: %s", s.name, strings.Join(m, ", "))
		}
	}
}

// The readers above must catch a setting that is missing, or the test
// above could pass on files it fails to read.
func TestSettingReadersSeeEverySetting(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "doc.md")
	os.WriteFile(doc, []byte("| setting | type |\n| --- | --- |\n| `a` | x |\n| `b.c` | y |\n\n| exchange | keys |\n| --- | --- |\n| `binance` | z |\n"), 0o600)
	if got := docSettings(t, doc); !slices.Equal(got, []string{"a", "b.c"}) {
		t.Fatalf("doc settings %v", got)
	}
	hclFile := filepath.Join(dir, "c.hcl")
	os.WriteFile(hclFile, []byte(`top = 1 # a comment
# Prose that mentions key = value in the middle.
b {
  c = "x"
  # d = "commented out"
  m = {
    inner = "not a setting"
  }
}
# e "label" {
#   f = 1
# }
`), 0o600)
	if got := fileSettings(t, hclFile); !slices.Equal(got, []string{"b.c", "b.d", "b.m", "e.f", "top"}) {
		t.Fatalf("file settings %v", got)
	}
}
