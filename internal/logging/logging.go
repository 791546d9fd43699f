// Package logging builds the zerolog logger that bucketaudit passes
// explicitly to every stage.
package logging

import (
	"fmt"
	"io"
	"os"
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

// New returns a logger writing to w. format is "auto" (console on a
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
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
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
