// Package config owns config.hcl: its schema, its defaults and every check
// that can be made on the file alone. Load turns a file into a Config whose
// relative paths are already resolved against the file's directory, or into
// a *DiagnosticsError that points at file:line for each problem found.
//
// It must not touch anything the file names: it creates no directory, reads
// no key file or environment variable, starts no plugin and prints nothing.
// Those belong to the packages that act on the values, so that
// `gahost config validate` can check a file on any machine.
//
// Names of exchanges are never listed here; an exchange block is accepted
// for any well-formed label, and endpoint keys are checked only for shape,
// because which keys exist is the plugin's to say.
package config
