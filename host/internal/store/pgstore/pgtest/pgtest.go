// Package pgtest starts a throwaway PostgreSQL server for tests: initdb into
// a temporary directory, a server listening on a unix socket there only (no
// TCP port to collide with), fsync off, and one new database per test. It
// uses the PostgreSQL binaries of the machine (PATH, then
// /usr/lib/postgresql/*/bin); without them the tests that need it skip and
// say why. As root, the server runs as the "postgres" user, since
// PostgreSQL refuses to run as root.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL cluster.
type Server struct {
	dir    string
	bin    string
	cred   *syscall.Credential
	socket string
	n      atomic.Int64
}

var (
	once    sync.Once
	shared  *Server
	initErr error
)

// Main runs a package's tests and stops the shared server afterwards; call
// it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// NewDB returns the DSN of a new, empty database on the shared server,
// starting the server on first use. It skips t when the machine has no
// PostgreSQL, and fails it when the server does not start.
func NewDB(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, initErr = Start() })
	if errors.Is(initErr, ErrNoPostgres) {
		t.Skipf("PostgreSQL tests skipped: %v (install the Debian package postgresql)", initErr)
	}
	if initErr != nil {
		t.Fatalf("start PostgreSQL: %v", initErr)
	}
	dsn, err := shared.CreateDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// ErrNoPostgres: no PostgreSQL binaries on this machine.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries (initdb, pg_ctl) found")

// findBin returns the directory holding initdb and pg_ctl.
func findBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // newest first
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

// Start creates and starts a new cluster.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: its parents are private to root, and the server may
	// run as another user. The path stays short for the socket's name.
	dir, err := os.MkdirTemp("", "gahost-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, socket: dir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%w: running as root and there is no postgres user to run the server as", ErrNoPostgres)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", dir)
	if out, err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	return s, nil
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

// DSN is the connection string of database name.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("host=%s user=postgres dbname=%s sslmode=disable", s.socket, name)
}

// CreateDB creates a new database and returns its DSN.
func (s *Server) CreateDB(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.n.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.DSN(name), nil
}

// Stop stops the server and removes its files.
func (s *Server) Stop() {
	_, _ = s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}
