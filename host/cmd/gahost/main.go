// Command gahost is the multi-exchange account hub daemon and its admin
// commands. This package parses flags and wires the internal packages
// together; it holds no logic of its own.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/globalautomation/gahost/host/internal/config"
	"github.com/hashicorp/go-hclog"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `gahost — self-hosted multi-exchange account hub

Usage:
  gahost serve -config FILE             run the daemon
  gahost config validate -config FILE   check the config; exit 1 on errors
  gahost plugins list -config FILE      the plugins in the plugin directory
  gahost keys rotate -config FILE       re-encrypt every secret under a new master key (daemon stopped)
  gahost keys list -config FILE         the current and retired master keys, with the values sealed under each
  gahost keys drop -config FILE KEYID   delete a retired key the database no longer uses
  gahost store migrate -config FILE -from bbolt -to postgres
                                        copy an install into another, empty backend and verify the counts (daemon stopped)
  gahost admin token -config FILE [-user NAME]
                                        mint a new API token for an admin and print it once (daemon stopped)
  gahost version                        print the version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && (cmd == "config" || cmd == "plugins" || cmd == "keys" || cmd == "admin" || cmd == "store") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(rest, stderr)
	case "config validate":
		return cmdConfigValidate(rest, stdout, stderr)
	case "plugins list":
		return cmdPluginsList(rest, stdout, stderr)
	case "keys rotate":
		return cmdKeysRotate(rest, stdout, stderr)
	case "keys list":
		return cmdKeysList(rest, stdout, stderr)
	case "keys drop":
		return cmdKeysDrop(rest, stdout, stderr)
	case "store migrate":
		return cmdStoreMigrate(rest, stdout, stderr)
	case "admin token":
		return cmdAdminToken(rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "gahost", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "gahost: unknown command %q\n\n%s", strings.Join(args[:min(2, len(args))], " "), usage)
	return 2
}

// loadConfig parses the -config flag of a command and loads the file,
// printing diagnostics with file:line on failure.
func loadConfig(name string, args []string, stderr io.Writer) (*config.Config, bool) {
	fs := flag.NewFlagSet("gahost "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.hcl", "path of the config file")
	if err := fs.Parse(args); err != nil {
		return nil, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gahost %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, false
	}
	cfg, err := config.Load(*path)
	if err != nil {
		printConfigError(stderr, err)
		return nil, false
	}
	return cfg, true
}

func printConfigError(w io.Writer, err error) {
	var de *config.DiagnosticsError
	if errors.As(err, &de) {
		de.WriteTo(w)
		return
	}
	fmt.Fprintln(w, "gahost:", err)
}

func cmdConfigValidate(args []string, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig("config validate", args, stderr)
	if !ok {
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", cfg.Path)
	return 0
}

// newLogger builds the daemon's logger from the config.
func newLogger(cfg *config.Config, w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "gahost",
		Level:      hclog.LevelFromString(cfg.LogLevel),
		JSONFormat: cfg.LogFormat == "json",
		Output:     w,
	})
}
