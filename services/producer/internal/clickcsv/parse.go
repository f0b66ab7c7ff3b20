package clickcsv

import (
	"bytes"
	"fmt"
	"math"

	"github.com/clickstream/clickstream/services/platform/event"
)

// parseRow parses one non-blank data line into e and returns "" or the
// reason the row is rejected.
func parseRow(line []byte, e *event.Event) string {
	var fields [5][]byte
	n := 0
	for {
		i := bytes.IndexByte(line, ',')
		if n < len(fields) {
			if i < 0 {
				fields[n] = line
			} else {
				fields[n] = line[:i]
			}
		}
		n++
		if i < 0 {
			break
		}
		line = line[i+1:]
	}
	if n != len(fields) {
		return fmt.Sprintf("has %d fields, want 5", n)
	}
	for i := range fields {
		fields[i] = trim(fields[i])
	}

	var ok bool
	if e.TimeMs, ok = parseUint(fields[0]); !ok || e.TimeMs == 0 {
		return fmt.Sprintf("timestamp %.40q is not a positive integer", fields[0])
	}
	if e.Visitor, ok = parseUint(fields[1]); !ok {
		return fmt.Sprintf("visitorid %.40q is not a non-negative 64-bit integer", fields[1])
	}
	if e.Type, ok = event.ParseType(fields[2]); !ok {
		return fmt.Sprintf("event %.40q is not view, addtocart or transaction", fields[2])
	}
	if e.Item, ok = parseUint(fields[3]); !ok {
		return fmt.Sprintf("itemid %.40q is not a non-negative 64-bit integer", fields[3])
	}
	e.Txn, e.HasTxn = 0, len(fields[4]) > 0
	if e.HasTxn {
		if e.Txn, ok = parseInt(fields[4]); !ok {
			return fmt.Sprintf("transactionid %.40q is neither empty nor an integer", fields[4])
		}
	}
	return ""
}

// parseUint parses decimal digits into a non-negative int64.
func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// parseInt parses an optionally signed decimal int64.
func parseInt(b []byte) (int64, bool) {
	switch {
	case len(b) > 1 && b[0] == '-':
		// The smallest int64 has no positive twin, so it is matched whole.
		v, ok := parseUint(b[1:])
		if !ok {
			if string(b) == "-9223372036854775808" {
				return math.MinInt64, true
			}
			return 0, false
		}
		return -v, true
	case len(b) > 1 && b[0] == '+':
		return parseUint(b[1:])
	}
	return parseUint(b)
}

func trim(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isBlank(b []byte) bool {
	return len(trim(b)) == 0
}

// isSpace covers the carriage return of CRLF line ends too.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r'
}
