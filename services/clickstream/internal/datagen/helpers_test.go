package datagen

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const header = "timestamp,visitorid,event,itemid,transactionid"

// record is one parsed data row; line is its 1-based line in the file.
type record struct {
	line    int
	ts      int64
	visitor int64
	event   string
	item    int64
	txn     string
	raw     string
}

// generate writes a file of rows rows and fails the test on error.
func generate(t testing.TB, rows int, seed int64) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Write(context.Background(), &buf, Options{Rows: rows, Seed: seed})
	if err != nil {
		t.Fatalf("Write(rows=%d, seed=%d): %v", rows, seed, err)
	}
	return buf.Bytes(), st
}

// sampleRows is the size of the shared file most statistics are checked on.
const sampleRows = 200_000

var sampleFile struct {
	once sync.Once
	recs []record
	st   Stats
}

// sample returns the parsed 200k-row file, generated once per test binary.
func sample(t *testing.T) ([]record, Stats) {
	t.Helper()
	sampleFile.once.Do(func() {
		data, st := generate(t, sampleRows, 7)
		sampleFile.recs, sampleFile.st = parse(t, data), st
	})
	if sampleFile.recs == nil {
		t.Fatalf("sample file failed in an earlier test")
	}
	return sampleFile.recs, sampleFile.st
}

// parse checks the header and that every row is valid by DESIGN.md section 3
// (and stricter: no CR, BOM, spaces or blank lines; a transaction id exactly
// on transaction rows), and returns the rows.
func parse(t *testing.T, data []byte) []record {
	t.Helper()
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("file does not end with LF")
	}
	if strings.ContainsAny(text, "\r \t\ufeff") {
		t.Fatalf("file contains CR, space, tab or BOM")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != header {
		t.Fatalf("header = %q, want %q", lines[0], header)
	}

	recs := make([]record, 0, len(lines)-1)
	for i, l := range lines[1:] {
		r, err := parseRow(i+2, l)
		if err != "" {
			t.Fatalf("line %d %q: %s", i+2, l, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// parseRow returns the row on line n, or why it is invalid.
func parseRow(n int, l string) (record, string) {
	f := strings.Split(l, ",")
	if len(f) != 5 {
		return record{}, "want 5 fields, got " + strconv.Itoa(len(f))
	}
	r := record{line: n, event: f[2], txn: f[4], raw: l}
	var err error
	if r.ts, err = strconv.ParseInt(f[0], 10, 64); err != nil || r.ts <= 0 {
		return r, "timestamp is not a positive integer"
	}
	if r.visitor, err = strconv.ParseInt(f[1], 10, 64); err != nil || r.visitor < 0 {
		return r, "visitorid is not a non-negative integer"
	}
	if r.item, err = strconv.ParseInt(f[3], 10, 64); err != nil || r.item < 0 {
		return r, "itemid is not a non-negative integer"
	}
	switch r.event {
	case "view", "addtocart":
		if r.txn != "" {
			return r, "transactionid on a " + r.event + " row"
		}
	case "transaction":
		if _, err := strconv.ParseInt(r.txn, 10, 64); err != nil {
			return r, "transactionid is not an integer"
		}
	default:
		return r, "unknown event"
	}
	return r, ""
}

// byVisitor groups distinct events (DESIGN.md's identity: visitor, time,
// type, item) by visitor, each in event-time order.
func byVisitor(recs []record) map[int64][]record {
	type identity struct {
		visitor, ts, item int64
		event             string
	}
	seen := make(map[identity]bool, len(recs))
	m := make(map[int64][]record)
	for _, r := range recs {
		id := identity{r.visitor, r.ts, r.item, r.event}
		if !seen[id] {
			seen[id] = true
			m[r.visitor] = append(m[r.visitor], r)
		}
	}
	for _, evs := range m {
		slices.SortStableFunc(evs, func(a, b record) int { return cmp.Compare(a.ts, b.ts) })
	}
	return m
}

// sessions splits a visitor's time-ordered events where the gap since the
// previous event is longer than the timeout; a gap equal to it stays.
func sessions(evs []record) [][]record {
	var out [][]record
	start := 0
	for i := 1; i <= len(evs); i++ {
		if i == len(evs) || evs[i].ts-evs[i-1].ts > timeout {
			out = append(out, evs[start:i])
			start = i
		}
	}
	return out
}
