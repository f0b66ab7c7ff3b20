package faults

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
)

// feed is the input file's rows in send order: by timestamp, rows with the
// same timestamp in file order, as the producer sends them. A replay of
// rows[from:] sends, as its first n events, exactly the send positions
// from to from+n of the whole file.
type feed struct {
	header []byte
	rows   [][]byte // raw data lines without their line end
	times  []int64  // rows[i]'s timestamp
}

// readFeed reads a plain CSV events file whose rows are all valid (the
// caller checks that with the oracle) and orders its rows for sending.
func readFeed(path string) (*feed, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := &feed{}
	for line := range bytes.Lines(body) {
		line = bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if f.header == nil {
			f.header = line
			continue
		}
		ts, _, _ := bytes.Cut(line, []byte(","))
		t, err := strconv.ParseInt(string(bytes.TrimSpace(ts)), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: row %d: timestamp %q: %w", path, len(f.rows)+1, ts, err)
		}
		f.rows = append(f.rows, line)
		f.times = append(f.times, t)
	}
	if f.header == nil {
		return nil, fmt.Errorf("%s: no header", path)
	}
	order := make([]int, len(f.rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(f.times[a], f.times[b]) })
	rows, times := make([][]byte, len(order)), make([]int64, len(order))
	for i, j := range order {
		rows[i], times[i] = f.rows[j], f.times[j]
	}
	f.rows, f.times = rows, times
	return f, nil
}

// len returns the number of rows.
func (f *feed) len() int { return len(f.rows) }

// spanMs returns the time from the first event to the last.
func (f *feed) spanMs() int64 {
	if len(f.times) == 0 {
		return 0
	}
	return f.times[len(f.times)-1] - f.times[0]
}

// write writes the header and the rows from send position from on to path.
func (f *feed) write(path string, from int) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	w.Write(f.header)
	w.WriteByte('\n')
	for _, r := range f.rows[from:] {
		w.Write(r)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
