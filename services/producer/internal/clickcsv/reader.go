// Package clickcsv reads click events from a CSV file in RetailRocket's
// layout: timestamp,visitorid,event,itemid,transactionid.
//
// The file may be gzip-compressed and may start with a UTF-8 byte-order mark;
// CRLF line ends and spaces around fields are accepted and blank lines are
// skipped. A row that breaks a rule is rejected: counted, reported with its
// line number and reason, never returned, never fatal.
package clickcsv

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/clickstream/clickstream/services/platform/event"
)

// Header is the first line of every events file.
const Header = "timestamp,visitorid,event,itemid,transactionid"

// MaxLine is the longest line the reader accepts; a longer one is rejected.
const MaxLine = 64 << 10

var (
	longLine = fmt.Sprintf("line is longer than %d bytes", MaxLine)
	bom      = []byte("\xef\xbb\xbf")
)

// Row is an accepted event and the line it came from.
type Row struct {
	event.Event
	Line int64
}

// Rejection is a row that was not accepted.
type Rejection struct {
	Line   int64
	Reason string
}

// Reader reads rows from an events file. It is not safe for concurrent use.
type Reader struct {
	src    io.Reader
	gz     *gzip.Reader
	buf    []byte
	r, w   int // unread bytes are buf[r:w]
	eof    bool
	line   int64
	header bool

	// OnReject, when set, is called for every rejected row, in file order.
	OnReject func(Rejection)

	rows, rejected int64
}

// NewReader returns a reader of r, which holds a plain or a gzip-compressed
// events file; the gzip magic number decides.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	rd := &Reader{src: br, buf: make([]byte, 1<<20)}
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if rd.gz, err = gzip.NewReader(br); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		rd.src = rd.gz
	}
	return rd, nil
}

// Rows returns how many data rows were read so far: accepted plus rejected.
func (r *Reader) Rows() int64 { return r.rows }

// Rejected returns how many rows were rejected so far.
func (r *Reader) Rejected() int64 { return r.rejected }

// Read fills dst with the next accepted rows and returns how many it wrote.
// At the end of the file it returns 0 and io.EOF. Other errors come from the
// underlying reader, from a broken gzip stream, or from a missing header.
func (r *Reader) Read(dst []Row) (int, error) {
	n := 0
	for n < len(dst) {
		line, long, err := r.nextLine()
		if err != nil {
			if errors.Is(err, io.EOF) && n > 0 {
				return n, nil
			}
			return n, err
		}
		if !r.header {
			if err := r.readHeader(line, long); err != nil {
				return n, err
			}
			continue
		}
		if long {
			r.rows++
			r.reject(longLine)
			continue
		}
		if isBlank(line) {
			continue
		}
		r.rows++
		if reason := parseRow(line, &dst[n].Event); reason != "" {
			r.reject(reason)
			continue
		}
		dst[n].Line = r.line
		n++
	}
	return n, nil
}

func (r *Reader) readHeader(line []byte, long bool) error {
	if long {
		return fmt.Errorf("line %d: header is longer than %d bytes", r.line, MaxLine)
	}
	if isBlank(line) {
		return nil
	}
	fields := bytes.Split(line, []byte(","))
	for i := range fields {
		fields[i] = trim(fields[i])
	}
	if got := string(bytes.Join(fields, []byte(","))); got != Header {
		return fmt.Errorf("line %d: header is %.80q, want %q", r.line, got, Header)
	}
	r.header = true
	return nil
}

func (r *Reader) reject(reason string) {
	r.rejected++
	if r.OnReject != nil {
		r.OnReject(Rejection{Line: r.line, Reason: reason})
	}
}

// nextLine returns the next line without its line end (and without the
// byte-order mark that may start the file), valid until the next call, and
// whether it is a long line: longer than MaxLine bytes as in the file, and
// not blank. A line that does not fit the buffer is skipped rather than
// kept, and comes back empty. Either way a line is judged by what it holds,
// never by where the reads split the file.
func (r *Reader) nextLine() (line []byte, long bool, err error) {
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], '\n'); i >= 0 {
			line := r.buf[r.r : r.r+i]
			r.r += i + 1
			return r.took(line)
		}
		if r.eof {
			if r.r == r.w {
				if !r.header {
					return nil, false, fmt.Errorf("no header: the file is empty, want %q first", Header)
				}
				return nil, false, io.EOF
			}
			line := r.buf[r.r:r.w]
			r.r = r.w
			return r.took(line)
		}
		if r.r == 0 && r.w-r.r > MaxLine {
			blank, err := r.skipLongLine()
			if err != nil {
				return nil, false, err
			}
			r.line++
			return nil, !blank, nil
		}
		if err := r.fill(); err != nil {
			return nil, false, err
		}
	}
}

// took counts a whole line read from the buffer and returns it as
// [Reader.nextLine] does.
func (r *Reader) took(line []byte) ([]byte, bool, error) {
	r.line++
	long := len(line) > MaxLine
	if r.line == 1 {
		line = bytes.TrimPrefix(line, bom)
	}
	return line, long && !isBlank(line), nil
}

// fill moves the unread bytes to the front of buf and reads more after them.
func (r *Reader) fill() error {
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	n, err := r.src.Read(r.buf[r.w:])
	r.w += n
	switch {
	case errors.Is(err, io.EOF):
		r.eof = true
	case err != nil:
		return fmt.Errorf("read line %d: %w", r.line+1, err)
	}
	return nil
}

// skipLongLine drops bytes up to and including the next line end, and
// reports whether they were all blanks (after the byte-order mark that may
// start the file).
func (r *Reader) skipLongLine() (blank bool, err error) {
	chunk := r.buf[r.r:r.w]
	if r.line == 0 {
		chunk = bytes.TrimPrefix(chunk, bom)
	}
	blank = true
	for {
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			r.r = r.w - len(chunk) + i + 1
			return blank && isBlank(chunk[:i]), nil
		}
		blank = blank && isBlank(chunk)
		r.r, r.w = 0, 0
		if r.eof {
			return blank, nil
		}
		if err := r.fill(); err != nil {
			return false, err
		}
		chunk = r.buf[r.r:r.w]
	}
}

// Close releases the gzip reader, if any. It does not close the source.
func (r *Reader) Close() error {
	if r.gz != nil {
		return r.gz.Close()
	}
	return nil
}
