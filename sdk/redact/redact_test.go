package redact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	const key = "AKIAexamplekey0123456789"
	cases := []struct {
		name, msg string
		secrets   []string
		want      string
	}{
		{"whole", "bad key " + key, []string{key}, "bad key " + Mark},
		{"a run of 8", "echo: " + key[3:11] + " end", []string{key}, "echo: " + Mark + " end"},
		{"shorter run stays", "echo: " + key[3:10] + " end", []string{key}, "echo: " + key[3:10] + " end"},
		{"twice", key + "/" + key, []string{key}, Mark + "/" + Mark},
		{"short secret", "pass abc word", []string{"abc"}, "pass " + Mark + " word"},
		{"tiny secret kept", "a b", []string{"a"}, "a b"},
		{"empty secret", "text", []string{""}, "text"},
		{"none", "text", nil, "text"},
		{"overlapping secrets", "xx" + key + "yy", []string{key, key[4:]}, "xx" + Mark + "yy"},
		{"an account's key hint stays", "hint AKIA…6789 is fine", []string{key}, "hint AKIA…6789 is fine"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.msg, tc.secrets...); got != tc.want {
				t.Fatalf("String(%q) = %q, want %q", tc.msg, got, tc.want)
			}
		})
	}
}

func TestStringLeavesValidUTF8(t *testing.T) {
	secret := "pässwörd-secret"
	msg := "got ö" + secret[1:] + " ü"
	got := String(msg, secret)
	if !utf8.ValidString(got) {
		t.Fatalf("invalid UTF-8: %q", got)
	}
	if strings.Contains(got, secret[1:9]) {
		t.Fatalf("secret left in %q", got)
	}
}

func TestClip(t *testing.T) {
	cases := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"0123456789abc", 10, "0123456…"},
		{"ééééé", 6, "é…"},  // "é" is 2 bytes, "…" 3: one é fits, not a half
		{"ééééé", 7, "éé…"}, // 4 bytes of é, then …
		{"\xffab", 10, "ab"},
		{"abcdef", 2, "ab"},
		{"a\nb\x1b[2Jc", 20, "a b [2Jc"},
	}
	for _, tc := range cases {
		got := Clip(tc.s, tc.n)
		if got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
		if len(got) > tc.n || !utf8.ValidString(got) || strings.ContainsAny(got, "\n\r\x1b") {
			t.Errorf("Clip(%q, %d) = %q: too long or invalid", tc.s, tc.n, got)
		}
	}
}

func FuzzClip(f *testing.F) {
	f.Add("héllo wörld", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := Clip(s, n)
		if len(got) > n || !utf8.ValidString(got) || strings.ContainsAny(got, "\n\r\x00") {
			t.Fatalf("Clip(%q, %d) = %q", s, n, got)
		}
	})
}
