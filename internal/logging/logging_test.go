package logging

import (
	"bytes"
	"strings"
	"testing"
)

// TestColor: the console log is coloured on a terminal, and not with
// --no-color (WithoutColor), NO_COLOR (https://no-color.org), TERM=dumb or
// off a terminal.
func TestColor(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		opts []Option
		want bool
	}{
		{name: "terminal", tty: true, env: map[string]string{"TERM": "xterm-256color"}, want: true},
		{name: "--no-color", tty: true, opts: []Option{WithoutColor()}},
		{name: "NO_COLOR", tty: true, env: map[string]string{"NO_COLOR": "1"}},
		{name: "TERM=dumb", tty: true, env: map[string]string{"TERM": "dumb"}},
		{name: "not a terminal"},
	}
	for _, tt := range tests {
		for _, format := range []string{"auto", "console"} {
			var buf bytes.Buffer
			log, err := newLogger(&buf, tt.tty, func(k string) string { return tt.env[k] }, format, "info", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			log.Warn().Str("k", "v").Msg("hello")
			if got := strings.Contains(buf.String(), "\x1b["); got != tt.want {
				t.Errorf("%s, %s: ANSI escapes %v, want %v: %q", tt.name, format, got, tt.want, buf.String())
			}
		}
	}
}
