package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

// refusing fails every write after the first ok ones, as a closed
// progress container does.
type refusing struct {
	ok  int
	buf bytes.Buffer
}

func (r *refusing) Write(p []byte) (int, error) {
	if r.ok == 0 {
		return 0, errors.New("closed")
	}
	r.ok--
	return r.buf.Write(p)
}

func TestSwitchWriter(t *testing.T) {
	primary := &refusing{ok: 1}
	var fallback bytes.Buffer
	w := NewSwitchWriter(primary, &fallback)
	for _, line := range []string{"one\n", "two\n", "three\n"} {
		if n, err := w.Write([]byte(line)); err != nil || n != len(line) {
			t.Fatalf("Write(%q) = %d, %v", line, n, err)
		}
	}
	if primary.buf.String() != "one\n" || fallback.String() != "two\nthree\n" {
		t.Errorf("primary %q, fallback %q: want the refused lines on the fallback", primary.buf.String(), fallback.String())
	}

	primary, fallback = &refusing{ok: 10}, bytes.Buffer{}
	w = NewSwitchWriter(primary, &fallback)
	w.Write([]byte("before\n"))
	w.Switch()
	w.Write([]byte("after\n"))
	if primary.buf.String() != "before\n" || fallback.String() != "after\n" {
		t.Errorf("primary %q, fallback %q: Switch must send later lines to the fallback", primary.buf.String(), fallback.String())
	}
}

// TestLoggerOverClosedPrimary: a zerolog logger over a SwitchWriter whose
// primary refuses every line writes every event to the fallback.
func TestLoggerOverClosedPrimary(t *testing.T) {
	var fallback bytes.Buffer
	log, err := New(NewSwitchWriter(&refusing{}, &fallback), "console", "info")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		log.Warn().Int("i", i).Msg("scan stopped")
	}
	if n := strings.Count(fallback.String(), "scan stopped"); n != 20 {
		t.Errorf("%d of 20 events reached the fallback:\n%s", n, fallback.String())
	}
}

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

// TestLoggerConcurrentWrites: events logged from many goroutines into a
// writer that is not safe for concurrent use (a bytes.Buffer, as the
// tests give cli.Run) arrive whole, one per line (go test -race catches
// the unsynchronised version).
func TestLoggerConcurrentWrites(t *testing.T) {
	for _, format := range []string{"json", "console"} {
		var buf bytes.Buffer
		log, err := New(&buf, format, "info")
		if err != nil {
			t.Fatal(err)
		}
		const goroutines, events = 8, 50
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range events {
					log.Info().Int("g", g).Int("i", i).Msg("event")
				}
			}()
		}
		wg.Wait()
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != goroutines*events {
			t.Fatalf("%s: %d lines, want %d", format, len(lines), goroutines*events)
		}
		for _, l := range lines {
			if format == "json" && !json.Valid([]byte(l)) {
				t.Fatalf("json: a line is not one event: %q", l)
			}
			if !strings.Contains(l, "event") {
				t.Fatalf("%s: a line is not one event: %q", format, l)
			}
		}
	}
}
