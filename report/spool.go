package report

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// spool is a temporary file in which a writer keeps what it can only place
// at the end of its file (report.json's buckets, which come after the
// accounts; the workbook's findings, sorted by severity): bytes, or records
// of strings, written once and read back once, in order. The file is
// created in dir on the first write, so an unused spool costs nothing, and
// removed by remove.
type spool struct {
	dir, name string // where and what ("report.json buckets")
	f         *os.File
	w         *bufio.Writer
	buf       []byte
}

// maxSpoolField bounds a field read back (the spool is ours: a longer one
// means the file was damaged).
const maxSpoolField = 1 << 30

func newSpool(dir, name string) *spool { return &spool{dir: dir, name: name} }

func (s *spool) open() error {
	if s.f != nil {
		return nil
	}
	f, err := os.CreateTemp(s.dir, ".bucketaudit-spool-*")
	if err != nil {
		return fmt.Errorf("spool %s: %w", s.name, err)
	}
	s.f, s.w = f, bufio.NewWriterSize(f, 64<<10)
	return nil
}

// used reports whether anything was written.
func (s *spool) used() bool { return s.f != nil }

// Write appends p.
func (s *spool) Write(p []byte) (int, error) {
	if err := s.open(); err != nil {
		return 0, err
	}
	return s.w.Write(p)
}

// record appends one record: each field as its length (uvarint) and bytes.
func (s *spool) record(fields ...string) error {
	if err := s.open(); err != nil {
		return err
	}
	for _, f := range fields {
		s.buf = binary.AppendUvarint(s.buf[:0], uint64(len(f)))
		s.w.Write(s.buf)
		if _, err := s.w.WriteString(f); err != nil {
			return fmt.Errorf("spool %s: %w", s.name, err)
		}
	}
	return nil
}

// rewind flushes what was written and returns a reader from the start.
func (s *spool) rewind() (*bufio.Reader, error) {
	if s.f == nil {
		return bufio.NewReader(eofReader{}), nil
	}
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("spool %s: %w", s.name, err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("spool %s: %w", s.name, err)
	}
	return bufio.NewReaderSize(s.f, 64<<10), nil
}

// records reads the records back in order, n fields each, and calls fn
// with each (the slice is reused).
func (s *spool) records(n int, fn func(fields []string) error) error {
	r, err := s.rewind()
	if err != nil {
		return err
	}
	fields := make([]string, n)
	for {
		for i := range fields {
			size, err := binary.ReadUvarint(r)
			if errors.Is(err, io.EOF) && i == 0 {
				return nil
			}
			if err == nil && size > maxSpoolField {
				err = errors.New("damaged")
			}
			if err != nil {
				return fmt.Errorf("read spool %s: %w", s.name, err)
			}
			if uint64(cap(s.buf)) < size {
				s.buf = make([]byte, size)
			}
			s.buf = s.buf[:size]
			if _, err := io.ReadFull(r, s.buf); err != nil {
				return fmt.Errorf("read spool %s: %w", s.name, err)
			}
			fields[i] = string(s.buf)
		}
		if err := fn(fields); err != nil {
			return err
		}
	}
}

// copyTo writes what was written into w (on Linux, file to file within
// the kernel when w is a file without buffered data).
func (s *spool) copyTo(w io.Writer) error {
	if s.f == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("spool %s: %w", s.name, err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool %s: %w", s.name, err)
	}
	if _, err := io.Copy(w, s.f); err != nil {
		return fmt.Errorf("copy spool %s: %w", s.name, err)
	}
	return nil
}

// remove closes and deletes the file.
func (s *spool) remove() error {
	if s.f == nil {
		return nil
	}
	f := s.f
	s.f, s.w = nil, nil
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("remove spool %s: %w", s.name, err)
	}
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
