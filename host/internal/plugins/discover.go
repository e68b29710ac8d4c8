package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/mod/semver"
)

// BinaryPrefix starts the file name of every plugin binary.
const BinaryPrefix = "gahost-plugin-"

// binaryName is gahost-plugin-<name> with an optional _vX.Y.Z suffix.
var binaryName = regexp.MustCompile(`^gahost-plugin-([a-z0-9][a-z0-9_-]*?)(?:_v(\d+\.\d+\.\d+))?$`)

// Binary is a plugin executable found in the plugin directory.
type Binary struct {
	Path     string
	FileName string // "gahost-plugin-binance_v1.2.0"
	Name     string // the name its file claims, "binance"; the plugin's own word wins once it runs
	SHA256   string
	stamp    fileStamp
}

// fileStamp tells cheaply whether a file may have changed since it was hashed.
type fileStamp struct {
	size  int64
	mtime time.Time
	ino   uint64
}

func stampOf(fi os.FileInfo) fileStamp {
	s := fileStamp{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = st.Ino
	}
	return s
}

// scan lists the plugin binaries in dir. Hidden files are skipped, since an
// installer writes a binary under a dot-name before renaming it into place;
// so are non-executables and names that do not fit the pattern. prev lets
// an unchanged file (same size, mtime and inode) skip hashing.
func scan(dir string, prev map[string]Binary) ([]Binary, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin dir: %w", err)
	}
	var out []Binary
	for _, e := range entries {
		fn := e.Name()
		m := binaryName.FindStringSubmatch(fn)
		if m == nil || strings.HasPrefix(fn, ".") {
			continue
		}
		path := filepath.Join(dir, fn)
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		b := Binary{Path: path, FileName: fn, Name: m[1], stamp: stampOf(fi)}
		if p, ok := prev[path]; ok && p.stamp == b.stamp {
			b.SHA256 = p.SHA256
		} else if b.SHA256, err = hashFile(path); err != nil {
			continue // vanished or unreadable mid-scan; the next scan sees it
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// compareVersions orders two plugin versions by semantic-version precedence
// ("1.2.3" and "v1.2.3" are the same version; a pre-release sorts below its
// release; build metadata is ignored). A version that does not parse sorts
// below every one that does.
func compareVersions(a, b string) int {
	ca, oka := canonicalVersion(a)
	cb, okb := canonicalVersion(b)
	switch {
	case !oka && !okb:
		return strings.Compare(a, b)
	case !oka:
		return -1
	case !okb:
		return 1
	}
	return semver.Compare(ca, cb)
}

// canonicalVersion turns a plugin's version into the "vMAJOR.MINOR.PATCH"
// form x/mod/semver reads. Plugins report versions with or without the
// leading "v"; all three numbers are required, since semver's shorthand
// "v1.2" is not a version a plugin may report.
func canonicalVersion(v string) (string, bool) {
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return "", false
	}
	core, _, _ := strings.Cut(strings.TrimSuffix(v, semver.Build(v)), "-")
	if strings.Count(core, ".") != 2 {
		return "", false
	}
	return v, true
}
