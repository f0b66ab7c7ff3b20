package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/oracle"
)

const unordered = `timestamp,visitorid,event,itemid,transactionid
1000,1,view,10,
3000,2,view,20,

2000,1,addtocart,10,
1000,3,view,30,
3000,2,transaction,20,7
2000,1,addtocart,10,
`

func TestFeedSendOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(path, []byte(unordered), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := readFeed(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ // by time, equal times in file order
		"1000,1,view,10,", "1000,3,view,30,", "2000,1,addtocart,10,", "2000,1,addtocart,10,",
		"3000,2,view,20,", "3000,2,transaction,20,7",
	}
	if f.len() != len(want) || f.spanMs() != 2000 {
		t.Fatalf("len %d, span %d ms; want %d rows over 2000 ms", f.len(), f.spanMs(), len(want))
	}
	for i, r := range f.rows {
		if string(r) != want[i] {
			t.Errorf("row %d = %q, want %q", i, r, want[i])
		}
	}

	// The first n positions are the rows that the oracle keeps when limited
	// to n, and a replay file from n holds the rest.
	for n := 1; n <= f.len(); n++ {
		head := filepath.Join(dir, "head.csv")
		body := "timestamp,visitorid,event,itemid,transactionid\n" + strings.Join(want[:n], "\n") + "\n"
		if err := os.WriteFile(head, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := oracle.FromFile(head, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		limited, err := oracle.FromFileLimit(path, time.Hour, n)
		if err != nil {
			t.Fatal(err)
		}
		if d := oracle.DiffEvents(limited.Events, got.Events, 0); len(d) > 0 {
			t.Errorf("first %d positions: events differ from the oracle's first %d: %v", n, n, d)
		}
		if d := oracle.DiffSessions(limited.Sessions, got.Sessions, 0); len(d) > 0 {
			t.Errorf("first %d positions: sessions differ from the oracle's first %d: %v", n, n, d)
		}

		rest := filepath.Join(dir, "rest.csv")
		if err := f.write(rest, n); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(rest)
		wantRest := "timestamp,visitorid,event,itemid,transactionid\n"
		for _, r := range want[n:] {
			wantRest += r + "\n"
		}
		if string(b) != wantRest {
			t.Errorf("replay file from %d = %q, want %q", n, b, wantRest)
		}
	}
}
