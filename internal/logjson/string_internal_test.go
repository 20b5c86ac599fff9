package logjson

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// slogString returns s as slog's JSON handler writes a string.
func slogString(t testing.TB, s string) string {
	t.Helper()
	var buf bytes.Buffer
	drop := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
			return slog.Attr{}
		}
		return a
	}
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: drop})).Info(s)
	line := buf.String()
	if !strings.HasPrefix(line, `{"msg":`) || !strings.HasSuffix(line, "}\n") {
		t.Fatalf("slog wrote %q", line)
	}
	return line[len(`{"msg":`) : len(line)-2]
}

// checkString reports where appendString writes s other than slog does.
func checkString(t testing.TB, s string) {
	t.Helper()
	if got, want := string(appendString(nil, s)), slogString(t, s); got != want {
		t.Errorf("appendString(%q) = %s; slog writes %s", s, got, want)
	}
}

// TestAppendString_everyByteEverywhere: every byte, and the runes slog
// escapes, at every position of strings of 1 to 24 bytes (the words of
// eight bytes appendString takes whole, their tails, and the last eight
// it looks at again) are written as slog writes them.
func TestAppendString_everyByteEverywhere(t *testing.T) {
	t.Parallel()
	var specials []string
	for c := range 256 {
		specials = append(specials, string([]byte{byte(c)}))
	}
	specials = append(specials, "é", "\u2028", "\u2029", "😀", "\xc3", "\xe2\x80")
	for n := 1; n <= 24; n++ {
		base := strings.Repeat("a", n)
		checkString(t, base)
		for _, sp := range specials {
			for i := 0; i < n; i++ {
				checkString(t, base[:i]+sp+base[i+1:])
			}
		}
	}
	checkString(t, "")
}

// FuzzAppendString: any string is written as slog writes it.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"/modelarts.devenv.v1.DevEnvService/DeleteInstance", "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
		"abcdefgh\"ijklmnop", "abcdefghijklmno\\", "abcdefg\x7f\x80", "0123456\u2028", "ok\n01234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkString(t, s) })
}

// BenchmarkAppendString is the keys and string values of a call's line.
func BenchmarkAppendString(b *testing.B) {
	strs := []string{"rpc", "INFO", "method", "/modelarts.devenv.v1.DevEnvService/DeleteInstance", "protocol", "rest", "code", "OK",
		"duration_ms", "request_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "peer", "127.0.0.1:51532", "project_id",
		"0123456789abcdef0123456789abcdef", "instance_id", "fault-n7414981", "credentials", "caller", "upstream_attempts"}
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range strs {
			buf = appendString(buf, s)
		}
	}
}
