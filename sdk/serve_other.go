//go:build !linux

package sdk

// waitExit reports that this system offers no way to wait for another
// process's exit without waking: the caller polls.
func waitExit(int) bool { return false }
