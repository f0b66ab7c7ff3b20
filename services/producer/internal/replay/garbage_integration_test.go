package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/logging"
	"github.com/clickstream/clickstream/services/producer/internal/clickcsv"
)

// garbageFile is a file whose first half is good rows and whose second half
// is mostly garbage, with a few good rows left in it, and what a replay must
// make of it.
type garbageFile struct {
	data    []byte
	good    []clickcsv.Row     // in file order
	reasons map[int64]string   // rejected line -> the start of its reason
	lines   map[int64]struct{} // every rejected line
}

func writeGarbage(t *testing.T, goodRows, badRows int) garbageFile {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(goodRows)))
	gf := garbageFile{reasons: map[int64]string{}, lines: map[int64]struct{}{}}
	var b bytes.Buffer
	b.WriteString(clickcsv.Header + "\n")
	line := int64(1)
	good := func() {
		line++
		e := event.Event{TimeMs: 1_433_000_000_000 + rng.Int64N(3_600_000), Visitor: rng.Int64N(50), Item: rng.Int64N(300), Type: event.View}
		if rng.IntN(10) == 0 {
			e.Type, e.Txn, e.HasTxn = event.Transaction, line, true
		}
		fmt.Fprintf(&b, "%d,%d,%s,%d,", e.TimeMs, e.Visitor, e.Type, e.Item)
		if e.HasTxn {
			b.WriteString(strconv.FormatInt(e.Txn, 10))
		}
		b.WriteString("\n")
		gf.good = append(gf.good, clickcsv.Row{Event: e, Line: line})
	}
	bad := func(text, reason string) {
		line++
		b.WriteString(text + "\n")
		gf.lines[line] = struct{}{}
		if reason != "" {
			gf.reasons[line] = reason
		}
	}
	for range goodRows {
		good()
	}
	kinds := []func(){
		func() { // binary: any bytes but a line end, starting with one no row starts with
			n := 1 + rng.IntN(120)
			raw := make([]byte, n)
			for i := range raw {
				raw[i] = byte(rng.IntN(256))
				if raw[i] == '\n' {
					raw[i] = 0
				}
			}
			raw[0] = 0xff
			bad(string(raw), "")
		},
		func() { bad("1433000000000,1,view", "has 3 fields, want 5") },
		func() { bad("1433000000000,1,view,2,,,", "has 7 fields, want 5") },
		func() { bad(strings.Repeat(",", 12), "has 13 fields, want 5") },
		func() { bad("-1433000000000,1,view,2,", `timestamp "-1433000000000" is not a positive integer`) },
		func() { bad("1433000000000.5,1,view,2,", `timestamp "1433000000000.5" is not a positive integer`) },
		func() {
			bad("2015-06-01T00:00:00Z,1,view,2,", `timestamp "2015-06-01T00:00:00Z" is not a positive integer`)
		},
		func() {
			bad("99999999999999999999,1,view,2,", `timestamp "99999999999999999999" is not a positive integer`)
		},
		func() { bad("0,1,view,2,", `timestamp "0" is not a positive integer`) },
		func() { bad("\x1f\x8b\x08\x00,1,view,2,", `timestamp "\x1f\x8b\b\x00" is not a positive integer`) },
		func() { bad("1433000000000,1,VIEW,2,", `event "VIEW" is not view, addtocart or transaction`) },
		func() { bad(strings.Repeat("z", clickcsv.MaxLine+10), "line is longer than 65536 bytes") },
	}
	for i := range badRows {
		kinds[i%len(kinds)]()
		switch i % 50 {
		case 17:
			good() // rows after garbage still count
		case 29:
			b.WriteString(" \t\r\n") // a blank line: no row at all
			line++
		}
	}
	gf.data = b.Bytes()
	return gf
}

// TestIntegrationGarbageHalfway replays a file that turns to garbage
// halfway, plain and gzipped: every good row reaches the topic once, every
// bad row is counted, reported with its line and reason, and listed in the
// rejects file, and the replay ends done with a summary.
func TestIntegrationGarbageHalfway(t *testing.T) {
	gf := writeGarbage(t, 3000, 3000)
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			h := newHarness(t)
			dir := t.TempDir()
			file, rejects := filepath.Join(dir, "events.csv"), filepath.Join(dir, "rejects.csv")
			data := gf.data
			if gz {
				var zb bytes.Buffer
				zw := gzip.NewWriter(&zb)
				zw.Write(data)
				zw.Close()
				data = zb.Bytes()
			}
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			r := New(h.client, kafka.TopicSpec{Name: h.topic, Partitions: 4, Replication: 1}, logging.New(&logs, "producer", nil), nil)
			p := NewProgress("garbage", Options{File: file, RejectsFile: rejects})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			r.Run(ctx, p)
			s := p.Snapshot()

			if s.State != Done || s.Err != nil {
				t.Fatalf("replay ended %v: %v", s.State, s.Err)
			}
			good, bad := int64(len(gf.good)), int64(len(gf.lines))
			if s.Rows != good+bad || s.Rejected != bad || s.Total != good || s.Sent != good {
				t.Fatalf("rows %d rejected %d total %d sent %d; want rows %d, rejected %d, %d sent",
					s.Rows, s.Rejected, s.Total, s.Sent, good+bad, bad, good)
			}

			// Every good row once, nothing else.
			want := map[event.Event]int{}
			for _, row := range gf.good {
				want[row.Event]++
			}
			for _, rec := range h.records(t, len(gf.good)) {
				e, err := event.Decode(rec.Value)
				if err != nil {
					t.Fatalf("record at %d/%d: %v", rec.Partition, rec.Offset, err)
				}
				if want[e] == 0 {
					t.Fatalf("event %+v was sent more often than the file holds it, or is not in it", e)
				}
				want[e]--
			}

			// Every bad row reported with its line and reason.
			if len(s.Rejects) != FirstRejections {
				t.Fatalf("%d first rejections kept, want %d", len(s.Rejects), FirstRejections)
			}
			all := readRejectsFile(t, rejects)
			if len(all) != len(gf.lines) {
				t.Fatalf("rejects file lists %d rows, want %d", len(all), len(gf.lines))
			}
			for i, rj := range all {
				if _, ok := gf.lines[rj.Line]; !ok || i > 0 && all[i-1].Line >= rj.Line {
					t.Fatalf("rejects file row %d names line %d, not a bad line in file order", i, rj.Line)
				}
				if want, ok := gf.reasons[rj.Line]; ok && !strings.HasPrefix(rj.Reason, want) || rj.Reason == "" {
					t.Fatalf("line %d rejected because %q, want %q", rj.Line, rj.Reason, gf.reasons[rj.Line])
				}
				if i < FirstRejections && s.Rejects[i] != rj {
					t.Fatalf("first rejection %d = %+v, rejects file %+v", i, s.Rejects[i], rj)
				}
			}

			// The log ends with the summary.
			var end struct {
				Msg                  string
				State                string
				Rows, Rejected, Sent int64
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &end); err != nil {
				t.Fatalf("last log line %q: %v", lines[len(lines)-1], err)
			}
			if end.Msg != "replay ended" || end.State != "done" || end.Rows != good+bad || end.Rejected != bad || end.Sent != good {
				t.Fatalf("last log line %s, want the summary of a done replay", lines[len(lines)-1])
			}
		})
	}
}

func readRejectsFile(t *testing.T, path string) []clickcsv.Rejection {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 || !slices.Equal(records[0], []string{"line", "reason"}) {
		t.Fatalf("rejects file header %v", records[:min(1, len(records))])
	}
	var out []clickcsv.Rejection
	for _, rec := range records[1:] {
		n, err := strconv.ParseInt(rec[0], 10, 64)
		if err != nil {
			t.Fatalf("rejects file row %v: %v", rec, err)
		}
		out = append(out, clickcsv.Rejection{Line: n, Reason: rec[1]})
	}
	return out
}

// TestIntegrationBrokenGzipSendsNothing replays a gzip file whose
// compressed bytes turn to garbage halfway. The rows past that point cannot
// be found again, and a replay sends nothing before it has read the whole
// file, so the replay fails with the line where reading stopped, and the
// topic stays empty.
func TestIntegrationBrokenGzipSendsNothing(t *testing.T) {
	h := newHarness(t)
	gf := writeGarbage(t, 3000, 0)
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(gf.data)
	zw.Close()
	data := zb.Bytes()
	half := len(data) / 2
	for i := half; i < len(data); i++ {
		data[i] ^= 0x5a
	}
	file := filepath.Join(t.TempDir(), "events.csv.gz")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := h.replay(t, ctx, Options{File: file})
	if s.State != Failed || s.Err == nil || s.Sent != 0 {
		t.Fatalf("replay ended %v having sent %d: %v; want failed, nothing sent", s.State, s.Sent, s.Err)
	}
	if !strings.Contains(s.Err.Error(), file+": read line ") {
		t.Fatalf("error %q does not name the file and the line", s.Err)
	}
	t.Logf("%v after %d rows", s.Err, s.Rows)
	h.records(t, 0)
}
