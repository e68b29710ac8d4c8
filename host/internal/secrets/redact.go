package secrets

import "strings"

// Redact removes from msg every secret and every run of 8 or more
// characters taken from one, so a message an exchange or plugin wrote cannot
// hand a key back even in part. Secrets shorter than 3 characters are left
// alone (they would blank out ordinary words and protect nothing).
func Redact(msg string, secrets ...string) string {
	const window = 8
	mask := make([]bool, len(msg))
	mark := func(sub string) {
		for from := 0; from <= len(msg)-len(sub); {
			i := strings.Index(msg[from:], sub)
			if i < 0 {
				return
			}
			for j := from + i; j < from+i+len(sub); j++ {
				mask[j] = true
			}
			from += i + 1
		}
	}
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		if len(s) < window {
			if len(s) >= 3 {
				mark(s)
			}
			continue
		}
		for i := 0; i+window <= len(s); i++ {
			mark(s[i : i+window])
		}
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		if mask[i] {
			for i < len(msg) && mask[i] {
				i++
			}
			b.WriteString("[redacted]")
			continue
		}
		b.WriteByte(msg[i])
		i++
	}
	return strings.ToValidUTF8(b.String(), "")
}
