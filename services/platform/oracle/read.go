package oracle

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// header is the first non-blank line of every events file, once the spaces
// around its fields are trimmed.
const header = "timestamp,visitorid,event,itemid,transactionid"

// Event type codes, in the order sorted output uses.
const (
	typeView uint8 = iota + 1
	typeCart
	typeTxn
)

var typeNames = [...]string{typeView: View, typeCart: AddToCart, typeTxn: Transaction}

// row is one accepted data row.
type row struct {
	visitor, timeMs, item, txn int64
	hasTxn                     bool
	typ                        uint8
	seq                        int32 // position among the accepted rows, in file order
}

type input struct {
	accepted       []row
	rows, rejected int
}

// readRows reads a plain or gzip-compressed events file line by line, with
// room for sizeHint rows up front. Only a broken stream or a missing header
// is an error; a bad row is counted.
func readRows(r io.Reader, sizeHint int) (*input, error) {
	br, err := decompress(r)
	if err != nil {
		return nil, err
	}
	in := &input{accepted: make([]row, 0, max(sizeHint, 1024))}
	sawHeader := false
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read line %d: %w", lineNo, err)
		}
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case trim(line) == "":
			// Blank lines are skipped and not counted, before the header too.
		case !sawHeader:
			if got := trimFields(line); got != header {
				return nil, fmt.Errorf("line %d: header is %.80q, want %q", lineNo, got, header)
			}
			sawHeader = true
		default:
			in.rows++
			if rw, ok := parseRow(line); ok {
				rw.seq = int32(len(in.accepted))
				in.accepted = append(in.accepted, rw)
			} else {
				in.rejected++
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if !sawHeader {
		return nil, fmt.Errorf("no header: want %q first", header)
	}
	return in, nil
}

// readLine returns the next line, with its line end if it has one. Unlike
// bufio.Reader.ReadString it copies a line only once, however long.
func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return string(b), err
	}
	long := bytes.Clone(b)
	for errors.Is(err, bufio.ErrBufferFull) {
		b, err = br.ReadSlice('\n')
		long = append(long, b...)
	}
	return string(long), err
}

// decompress returns a reader of the file's text: gunzipped when the file
// starts with the gzip magic number, as is otherwise.
func decompress(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	if !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return bufio.NewReaderSize(zr, 1<<20), nil
}

// parseRow applies the row rules of the design: exactly five fields; a
// positive timestamp; visitor and item non-negative int64s, digits only; a
// known event type; a transaction id empty or an optionally signed int64.
func parseRow(line string) (row, bool) {
	f := strings.Split(line, ",")
	if len(f) != 5 {
		return row{}, false
	}
	for i := range f {
		f[i] = trim(f[i])
	}

	var rw row
	var ok [5]bool
	rw.timeMs, ok[0] = digits(f[0])
	rw.visitor, ok[1] = digits(f[1])
	rw.typ, ok[2] = parseType(f[2])
	rw.item, ok[3] = digits(f[3])
	rw.txn, rw.hasTxn, ok[4] = 0, f[4] != "", true
	if rw.hasTxn {
		rw.txn, ok[4] = signed(f[4])
	}
	return rw, ok == [5]bool{true, true, true, true, true} && rw.timeMs > 0
}

// digits parses a non-negative int64 written with decimal digits only.
func digits(s string) (int64, bool) {
	if !isDigits(s) {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// signed parses an int64 of decimal digits with an optional sign.
func signed(s string) (int64, bool) {
	unsigned := s
	if s != "" && (s[0] == '-' || s[0] == '+') {
		unsigned = s[1:]
	}
	if !isDigits(unsigned) {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func parseType(s string) (uint8, bool) {
	switch s {
	case View:
		return typeView, true
	case AddToCart:
		return typeCart, true
	case Transaction:
		return typeTxn, true
	}
	return 0, false
}

// trim drops the spaces and tabs around a field, and the carriage return of
// a CRLF line end.
func trim(s string) string {
	return strings.Trim(s, " \t\r")
}

func trimFields(line string) string {
	f := strings.Split(line, ",")
	for i := range f {
		f[i] = trim(f[i])
	}
	return strings.Join(f, ",")
}
