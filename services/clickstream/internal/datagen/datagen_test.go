package datagen

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestWriteDeterministic(t *testing.T) {
	base, _ := generate(t, 20_000, 1)
	tests := []struct {
		name      string
		rows      int
		seed      int64
		wantEqual bool
	}{
		{name: "same seed and rows", rows: 20_000, seed: 1, wantEqual: true},
		{name: "other seed", rows: 20_000, seed: 2, wantEqual: false},
		{name: "negative seed", rows: 20_000, seed: -1, wantEqual: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := generate(t, tc.rows, tc.seed)
			if eq := bytes.Equal(got, base); eq != tc.wantEqual {
				t.Fatalf("bytes.Equal(seed %d, seed 1) = %v, want %v", tc.seed, eq, tc.wantEqual)
			}
		})
	}
}

func TestWriteRowsAndStats(t *testing.T) {
	tests := []struct {
		name string
		rows int
	}{
		{name: "one row", rows: 1},
		{name: "two rows", rows: 2},
		{name: "under a duplicate window", rows: 999},
		{name: "past progress and window", rows: 100_003},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, st := generate(t, tc.rows, 3)
			recs := parse(t, data)
			if len(recs) != tc.rows {
				t.Fatalf("data rows = %d, want %d", len(recs), tc.rows)
			}
			checkStats(t, recs, st)
		})
	}
}

// checkStats compares st with counts taken from the parsed file.
func checkStats(t *testing.T, recs []record, st Stats) {
	t.Helper()
	var want Stats
	rows, visitors, items := map[string]bool{}, map[int64]bool{}, map[int64]bool{}
	for _, r := range recs {
		want.Rows++
		switch r.event {
		case "view":
			want.Views++
		case "addtocart":
			want.Carts++
		case "transaction":
			want.Transactions++
		}
		if rows[r.raw] {
			want.Duplicates++
		}
		rows[r.raw], visitors[r.visitor], items[r.item] = true, true, true
	}
	want.Visitors, want.Items = len(visitors), len(items)
	if st != want {
		t.Fatalf("Stats = %+v, want (counted from the file) %+v", st, want)
	}
}

func TestWriteOptions(t *testing.T) {
	custom := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name      string
		opt       Options
		wantErr   bool
		wantStart time.Time // earliest timestamp in the file
	}{
		{name: "default start", opt: Options{Rows: 500}, wantStart: defaultStart},
		{name: "custom start", opt: Options{Rows: 500, Start: custom}, wantStart: custom},
		{name: "negative rows", opt: Options{Rows: -1}, wantErr: true},
		{name: "start before epoch", opt: Options{Rows: 5, Start: time.Unix(-10, 0)}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Write(context.Background(), &buf, tc.opt)
			if gotErr := err != nil; gotErr != tc.wantErr {
				t.Fatalf("Write error = %v, want error: %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			recs := parse(t, buf.Bytes())
			first := recs[0].ts
			for _, r := range recs {
				first = min(first, r.ts)
			}
			if got := time.UnixMilli(first).UTC(); !got.Equal(tc.wantStart) {
				t.Fatalf("earliest event = %s, want %s", got, tc.wantStart)
			}
		})
	}
}

func TestWriteFullSizeByDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a full-size file")
	}
	var calls []int
	st, err := Write(context.Background(), io.Discard, Options{Progress: func(n int) {
		calls = append(calls, n)
	}})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if st.Rows != FullRows {
		t.Fatalf("Rows = %d, want FullRows %d", st.Rows, FullRows)
	}
	if want := FullRows/progressEvery + 1; len(calls) != want || calls[len(calls)-1] != FullRows {
		t.Fatalf("Progress called %d times, last with %v; want %d calls, last %d",
			len(calls), calls[len(calls)-1:], want, FullRows)
	}
}

func TestWriteCancel(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt int // cancel from Progress at this row count; 0 = before Write
		maxRows  int
	}{
		{name: "before start", cancelAt: 0, maxRows: 0},
		{name: "mid-file", cancelAt: 100_000, maxRows: 100_000 + checkEvery},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelAt == 0 {
				cancel()
			}
			var buf bytes.Buffer
			st, err := Write(ctx, &buf, Options{Rows: 500_000, Progress: func(n int) {
				if n == tc.cancelAt {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Write error = %v, want context.Canceled", err)
			}
			if st.Rows > tc.maxRows {
				t.Fatalf("Rows = %d after cancel, want at most %d", st.Rows, tc.maxRows)
			}
			if got := len(parse(t, buf.Bytes())); got != st.Rows {
				t.Fatalf("file has %d complete rows, Stats.Rows = %d", got, st.Rows)
			}
		})
	}
}

// failWriter fails every write, like a full disk.
type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteWriterError(t *testing.T) {
	_, err := Write(context.Background(), failWriter{}, Options{Rows: 100_000})
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Write error = %v, want wrapping %v", err, errDiskFull)
	}
	if !strings.Contains(err.Error(), "write events csv") {
		t.Fatalf("Write error = %q, want it to say what was being written", err)
	}
}

func BenchmarkWrite(b *testing.B) {
	const rows = 200_000
	for b.Loop() {
		if _, err := Write(context.Background(), io.Discard, Options{Rows: rows, Seed: 1}); err != nil {
			b.Fatalf("Write: %v", err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
