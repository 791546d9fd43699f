// Package logging builds the zerolog logger that bucketaudit passes
// explicitly to every stage.
package logging

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Option tunes New.
type Option func(*settings)

type settings struct {
	noColor bool
}

// WithoutColor turns the console format's colours off (--no-color).
func WithoutColor() Option { return func(s *settings) { s.noColor = true } }

// New returns a logger writing to w, one event at a time. format is "auto" (console on a
// terminal, JSON otherwise), "console" or "json"; level is a zerolog level
// name ("debug", "info", "warn", "error"). The console format is coloured
// only on a terminal, and never with WithoutColor, NO_COLOR set or
// TERM=dumb (ColorAllowed).
func New(w io.Writer, format, level string, opts ...Option) (zerolog.Logger, error) {
	return newLogger(w, IsTerminal(w), os.Getenv, format, level, opts...)
}

// newLogger is New with the terminal test and the environment given.
func newLogger(w io.Writer, tty bool, getenv func(string) string, format, level string, opts ...Option) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("invalid --log-level %q (want debug, info, warn or error)", level)
	}
	var s settings
	for _, o := range opts {
		o(&s)
	}
	noColor := s.noColor || !tty || !ColorAllowed(getenv)
	switch format {
	case "auto":
		if tty {
			w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: noColor}
		}
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: noColor}
	case "json":
	default:
		return zerolog.Nop(), fmt.Errorf("invalid --log-format %q (want auto, console or json)", format)
	}
	// The scan logs from many goroutines; w need not be safe for
	// concurrent writes (cli.Run takes any io.Writer, tests a bytes.Buffer).
	return zerolog.New(zerolog.SyncWriter(w)).Level(lvl).With().Timestamp().Logger(), nil
}

// ColorAllowed reports whether the environment lets a terminal show ANSI
// colours and cursor movement: not with NO_COLOR set to anything
// (https://no-color.org) nor with TERM=dumb.
func ColorAllowed(getenv func(string) string) bool {
	return getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// SwitchWriter writes log lines to a primary writer — a progress bar's
// container, which prints them above the bars — until Switch is called
// or the primary fails (a container closed by Ctrl-C refuses writes), and
// to the fallback writer (stderr) from then on. A log event is so never
// lost, and zerolog never reports "could not write event". It is safe for
// concurrent use.
type SwitchWriter struct {
	mu       sync.Mutex
	primary  io.Writer
	fallback io.Writer
	switched bool
}

// NewSwitchWriter returns a SwitchWriter writing to primary first.
func NewSwitchWriter(primary, fallback io.Writer) *SwitchWriter {
	return &SwitchWriter{primary: primary, fallback: fallback}
}

// Write writes p to the primary writer, or to the fallback once the
// primary has failed or Switch was called. A line the primary refused is
// written to the fallback.
func (w *SwitchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	done := 0
	if !w.switched {
		n, err := w.primary.Write(p)
		if err == nil {
			return n, nil
		}
		w.switched = true
		done = max(0, min(n, len(p)))
	}
	n, err := w.fallback.Write(p[done:])
	return done + n, err
}

// Switch sends every later write to the fallback writer: call it before
// the primary is closed.
func (w *SwitchWriter) Switch() {
	w.mu.Lock()
	w.switched = true
	w.mu.Unlock()
}
