// Package hygiene holds the check that the repository stands alone: no
// source file, script or page cites a document that a clone does not have,
// and every section sign (U+00A7) names a heading that exists on a page
// under docs/. Its test runs the check over the whole checkout; the package
// has no other user and changes nothing on disk.
package hygiene

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// section is the sign a reference into a document is written with.
const section = "\u00a7"

// A Finding is one line that breaks the rule, with every reason why.
type Finding struct {
	File   string // slash-separated, relative to the repository root
	Line   int
	Reason string
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Reason) }

// outside names the documents that live beside the repository and not in
// it. A mention of any of them is an error wherever it appears. The
// patterns are written so that this file does not match them itself.
var outside = []struct {
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`\.\./shared\b`), "names the shared directory beside the repository"},
	{regexp.MustCompile(`(^|[^\w/.-])shared/[\w./-]+\.md\b`), "cites a page of the shared directory beside the repository"},
	{regexp.MustCompile(`\b(CONTRACT|ARCHITECTURE|STYLE)\.md\b`), "cites a document outside the repository"},
	{regexp.MustCompile(`\b(ecosystem[-]choices|plugin[-]host[-]notes|peers[-]and[-]user[-]pains)\b`), "cites a note outside the repository"},
}

// docsRef is what must stand right before a section sign: the page it
// points into, as "docs/<page>.md " (a comma before the space is allowed),
// the path written from the repository root.
var docsRef = regexp.MustCompile(`(?:^|[^\w/.-])docs/([A-Za-z0-9_.-]+\.md),? ?$`)

// Checked reports whether a file is one the check reads: Go, proto, shell,
// Markdown, HCL and systemd files, Makefiles, and any script that starts
// with "#!" (head is the start of the file).
func Checked(name string, head []byte) bool {
	switch path.Ext(name) {
	case ".go", ".proto", ".sh", ".md", ".hcl", ".service":
		return true
	}
	return path.Base(name) == "Makefile" || bytes.HasPrefix(head, []byte("#!"))
}

// Headings returns the headings of a Markdown page, without the leading
// hashes, skipping lines inside fenced code blocks (a shell comment in an
// example is not a heading). A heading with code spans is listed twice:
// as written and with its backticks dropped.
func Headings(page []byte) []string {
	var out []string
	fenced := false
	sc := bufio.NewScanner(bytes.NewReader(page))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		if h == "" {
			continue
		}
		out = append(out, h)
		if plain := strings.ReplaceAll(h, "`", ""); plain != h {
			out = append(out, plain)
		}
	}
	return out
}

// Checker checks files against the headings of the pages under docs/.
type Checker struct {
	// Pages maps a page's name under docs/ ("api.md") to its headings.
	Pages map[string][]string
}

// NewChecker reads the headings of every Markdown page in root/docs.
func NewChecker(root string) (*Checker, error) {
	c := &Checker{Pages: map[string][]string{}}
	entries, err := os.ReadDir(filepath.Join(root, "docs"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, "docs", e.Name()))
		if err != nil {
			return nil, err
		}
		c.Pages[e.Name()] = Headings(b)
	}
	return c, nil
}

// Check returns the findings in one file's contents, at most one per line;
// name is only used to label them.
func (c *Checker) Check(name string, src []byte) []Finding {
	var out []Finding
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		var reasons []string
		for _, o := range outside {
			if o.re.MatchString(line) {
				reasons = append(reasons, o.reason)
			}
		}
		for rest, before := line, ""; ; {
			i := strings.Index(rest, section)
			if i < 0 {
				break
			}
			before += rest[:i]
			rest = rest[i+len(section):]
			if reason := c.sectionRef(before, rest); reason != "" && !slices.Contains(reasons, reason) {
				reasons = append(reasons, reason)
			}
			before += section
		}
		if len(reasons) > 0 {
			out = append(out, Finding{name, n, strings.Join(reasons, "; ")})
		}
	}
	if err := sc.Err(); err != nil {
		out = append(out, Finding{name, n + 1, "not checked: " + err.Error()})
	}
	return out
}

// sectionRef checks one section sign, given the line before and after it,
// and says what is wrong, or "" when it names a heading of a docs/ page.
func (c *Checker) sectionRef(before, after string) string {
	m := docsRef.FindStringSubmatch(before)
	if m == nil {
		return section + " does not follow a page under docs/"
	}
	headings, ok := c.Pages[m[1]]
	if !ok {
		return fmt.Sprintf("docs/%s does not exist", m[1])
	}
	after = strings.TrimLeft(after, " ")
	for _, h := range headings {
		if rest, ok := strings.CutPrefix(after, h); ok && !startsWithWordChar(rest) {
			return ""
		}
	}
	return fmt.Sprintf("docs/%s has no heading that %q starts with", m[1], clip(after, 40))
}

func startsWithWordChar(s string) bool {
	if s == "" {
		return false
	}
	b := s[0]
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Files lists the repository's files that Checked selects, relative to root
// and slash-separated: what git tracks plus new files it does not ignore,
// so a file is checked before its first commit. Without git (an exported
// tree) it walks root, skipping hidden directories other than .ci and the
// ignored build output (bin, data).
func Files(root string) ([]string, error) {
	var names []string
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		for n := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
			if n != "" {
				names = append(names, n)
			}
		}
	} else {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if rel != "." && (strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci" || rel == "bin" || rel == "data") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				names = append(names, rel)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var out []string
	for _, n := range names {
		head, err := readHead(filepath.Join(root, filepath.FromSlash(n)))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet in git
			}
			return nil, err
		}
		if Checked(n, head) {
			out = append(out, n)
		}
	}
	return out, nil
}

func readHead(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 2)
	n, _ := f.Read(buf)
	return buf[:n], nil
}
