package oracle_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/oracle"
)

const (
	header  = "timestamp,visitorid,event,itemid,transactionid\n"
	timeout = 30 * time.Minute
	minute  = int64(time.Minute / time.Millisecond)
)

func fromString(t *testing.T, csv string, timeout time.Duration) *oracle.Result {
	t.Helper()
	res, err := oracle.FromReader(strings.NewReader(csv), timeout)
	if err != nil {
		t.Fatalf("FromReader: %v", err)
	}
	return res
}

// summary prints a session on one line, times in milliseconds.
func summary(s oracle.Session) string {
	return fmt.Sprintf("%s v%d %d-%d %ds e%d=%d+%d+%d viewed%v carted%v bought%v %t",
		s.ID, s.Visitor, s.Start.UnixMilli(), s.End.UnixMilli(), s.DurationSeconds,
		s.Events, s.Views, s.Carts, s.Transactions,
		s.ItemsViewed, s.ItemsCarted, s.ItemsPurchased, s.Converted)
}

func summaries(sessions []oracle.Session) []string {
	var out []string
	for _, s := range sessions {
		out = append(out, summary(s))
	}
	return out
}

// eventString prints an event as visitor@time type item/txn.
func eventString(e oracle.Event) string {
	txn := "-"
	if e.Txn != nil {
		txn = strconv.FormatInt(*e.Txn, 10)
	}
	return fmt.Sprintf("%d@%d %s %d/%s", e.Visitor, e.TimeMs, e.Type, e.Item, txn)
}

func eventStrings(events []oracle.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, eventString(e))
	}
	return out
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

func TestSessions(t *testing.T) {
	tests := []struct {
		name    string
		rows    string
		timeout time.Duration
		want    []string
	}{
		{
			name:    "gap equal to the timeout stays in the session",
			rows:    "1000,7,view,1,\n1801000,7,view,2,\n3601000,7,view,3,\n",
			timeout: timeout,
			want:    []string{"7_1 v7 1000-3601000 3600s e3=3+0+0 viewed[1 2 3] carted[] bought[] false"},
		},
		{
			name:    "gap 1 ms longer than the timeout splits",
			rows:    "1000,7,view,1,\n1801001,7,view,2,\n",
			timeout: timeout,
			want: []string{
				"7_1 v7 1000-1000 0s e1=1+0+0 viewed[1] carted[] bought[] false",
				"7_2 v7 1801001-1801001 0s e1=1+0+0 viewed[2] carted[] bought[] false",
			},
		},
		{
			name:    "gap counts from the session's last event, not its start",
			rows:    "1000,7,view,1,\n1201000,7,view,2,\n2401000,7,view,3,\n4201001,7,view,4,\n",
			timeout: timeout,
			want: []string{
				"7_1 v7 1000-2401000 2400s e3=3+0+0 viewed[1 2 3] carted[] bought[] false",
				"7_2 v7 4201001-4201001 0s e1=1+0+0 viewed[4] carted[] bought[] false",
			},
		},
		{
			name: "out-of-order rows are sessionized on event time",
			rows: "9000000,7,transaction,3,55\n1000,7,view,1,\n9000500,7,addtocart,3,\n" +
				"2999,7,addtocart,1,\n5000000,7,view,2,\n",
			timeout: timeout,
			want: []string{
				"7_1 v7 1000-2999 1s e2=1+1+0 viewed[1] carted[1] bought[] false",
				"7_2 v7 5000000-5000000 0s e1=1+0+0 viewed[2] carted[] bought[] false",
				"7_3 v7 9000000-9000500 0s e2=0+1+1 viewed[] carted[3] bought[3] true",
			},
		},
		{
			name: "ids count each visitor's sessions from 1 and sort as text",
			rows: "1000,10,view,1,\n1000,9,view,1,\n5000000,9,view,1,\n" +
				"9000000,9,view,1,\n2000,10,view,2,\n",
			timeout: timeout,
			want: []string{
				"10_1 v10 1000-2000 1s e2=2+0+0 viewed[1 2] carted[] bought[] false",
				"9_1 v9 1000-1000 0s e1=1+0+0 viewed[1] carted[] bought[] false",
				"9_2 v9 5000000-5000000 0s e1=1+0+0 viewed[1] carted[] bought[] false",
				"9_3 v9 9000000-9000000 0s e1=1+0+0 viewed[1] carted[] bought[] false",
			},
		},
		{
			name:    "timeout 0 keeps only events at the same time together",
			rows:    "1000,7,view,1,\n1000,7,view,2,\n1001,7,view,3,\n",
			timeout: 0,
			want: []string{
				"7_1 v7 1000-1000 0s e2=2+0+0 viewed[1 2] carted[] bought[] false",
				"7_2 v7 1001-1001 0s e1=1+0+0 viewed[3] carted[] bought[] false",
			},
		},
		{
			name:    "duration rounds down to whole seconds",
			rows:    "1000,7,view,1,\n2999,7,view,1,\n",
			timeout: timeout,
			want:    []string{"7_1 v7 1000-2999 1s e2=2+0+0 viewed[1] carted[] bought[] false"},
		},
		{
			name: "item sets are distinct and sorted",
			rows: "1000,7,view,30,\n1001,7,view,5,\n1002,7,view,30,\n1003,7,view,12,\n" +
				"1004,7,addtocart,30,\n1005,7,addtocart,5,\n1006,7,addtocart,30,\n" +
				"1007,7,transaction,30,1\n1008,7,transaction,30,2\n",
			timeout: timeout,
			want:    []string{"7_1 v7 1000-1008 0s e9=4+3+2 viewed[5 12 30] carted[5 30] bought[30] true"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := fromString(t, header+tc.rows, tc.timeout)
			equalLines(t, "sessions", summaries(res.Sessions), tc.want)
		})
	}
}

func TestSessionTimesAreUTC(t *testing.T) {
	res := fromString(t, header+"1430622000123,7,view,1,\n", timeout)
	s := res.Sessions[0]
	want := time.Date(2015, 5, 3, 3, 0, 0, 123e6, time.UTC)
	if s.Start != want || s.End != want {
		t.Errorf("start, end = %v, %v; want %v for both", s.Start, s.End, want)
	}
}

func TestDuplicates(t *testing.T) {
	rows := "" +
		"1000,7,view,1,\n" +
		"1000,7,view,1,\n" + // exact duplicate
		"2000,7,transaction,2,100\n" +
		"2000,7,transaction,2,200\n" + // same identity, another transaction id
		" 2000 ,7,transaction, 2,\n" + // same identity, no transaction id
		"2000,7,transaction,3,100\n" + // another item
		"2000,7,addtocart,2,\n" + // another type
		"2000,8,transaction,2,100\n" + // another visitor
		"1000,7,view,1,\n" // duplicate, out of order
	res := fromString(t, header+rows, timeout)

	if res.Rows != 9 || res.Rejected != 0 {
		t.Errorf("rows, rejected = %d, %d; want 9, 0", res.Rows, res.Rejected)
	}
	equalLines(t, "events", eventStrings(res.Events), []string{
		"7@1000 view 1/-",
		"7@2000 addtocart 2/-",
		"7@2000 transaction 2/100",
		"7@2000 transaction 3/100",
		"8@2000 transaction 2/100",
	})
	equalLines(t, "sessions", summaries(res.Sessions), []string{
		"7_1 v7 1000-2000 1s e4=1+1+2 viewed[1] carted[2] bought[2 3] true",
		"8_1 v8 2000-2000 0s e1=0+0+1 viewed[] carted[] bought[2] true",
	})
}

func TestRejectedRows(t *testing.T) {
	tests := []struct {
		name   string
		row    string
		reject bool
		want   string // the event, when accepted
	}{
		{name: "plain view", row: "1000,7,view,1,", want: "7@1000 view 1/-"},
		{name: "spaces and tabs around fields", row: " 1000 ,\t7\t, view ,  1 , 5 ", want: "7@1000 view 1/5"},
		{name: "leading zeros", row: "01000,007,view,0001,", want: "7@1000 view 1/-"},
		{name: "visitor and item zero", row: "1000,0,view,0,", want: "0@1000 view 0/-"},
		{name: "largest int64 ids", row: "1000,9223372036854775807,view,9223372036854775807,",
			want: "9223372036854775807@1000 view 9223372036854775807/-"},
		{name: "negative transaction id", row: "1000,7,transaction,1,-3", want: "7@1000 transaction 1/-3"},
		{name: "plus-signed transaction id", row: "1000,7,transaction,1,+3", want: "7@1000 transaction 1/3"},
		{name: "smallest int64 transaction id", row: "1000,7,transaction,1,-9223372036854775808",
			want: "7@1000 transaction 1/-9223372036854775808"},
		{name: "transaction id on a view", row: "1000,7,view,1,4", want: "7@1000 view 1/4"},

		{name: "four fields", row: "1000,7,view,1", reject: true},
		{name: "six fields", row: "1000,7,view,1,,", reject: true},
		{name: "one field", row: "garbage", reject: true},
		{name: "all fields empty", row: ",,,,", reject: true},
		{name: "timestamp zero", row: "0,7,view,1,", reject: true},
		{name: "timestamp negative", row: "-1000,7,view,1,", reject: true},
		{name: "timestamp with plus sign", row: "+1000,7,view,1,", reject: true},
		{name: "timestamp decimal", row: "1000.5,7,view,1,", reject: true},
		{name: "timestamp empty", row: ",7,view,1,", reject: true},
		{name: "timestamp past int64", row: "9223372036854775808,7,view,1,", reject: true},
		{name: "timestamp with inner space", row: "10 00,7,view,1,", reject: true},
		{name: "visitor negative", row: "1000,-7,view,1,", reject: true},
		{name: "visitor past int64", row: "1000,9223372036854775808,view,1,", reject: true},
		{name: "visitor not a number", row: "1000,abc,view,1,", reject: true},
		{name: "visitor empty", row: "1000,,view,1,", reject: true},
		{name: "visitor quoted", row: "1000,\"7\",view,1,", reject: true},
		{name: "item negative", row: "1000,7,view,-1,", reject: true},
		{name: "item in exponent form", row: "1000,7,view,1e3,", reject: true},
		{name: "item past int64", row: "1000,7,view,99999999999999999999,", reject: true},
		{name: "item empty", row: "1000,7,view,,", reject: true},
		{name: "unknown event", row: "1000,7,click,1,", reject: true},
		{name: "event in capitals", row: "1000,7,View,1,", reject: true},
		{name: "event empty", row: "1000,7,,1,", reject: true},
		{name: "transaction id not a number", row: "1000,7,transaction,1,x", reject: true},
		{name: "transaction id decimal", row: "1000,7,transaction,1,1.0", reject: true},
		{name: "transaction id two signs", row: "1000,7,transaction,1,--1", reject: true},
		{name: "transaction id bare sign", row: "1000,7,transaction,1,-", reject: true},
		{name: "transaction id past int64", row: "1000,7,transaction,1,9223372036854775808", reject: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := fromString(t, header+tc.row+"\n", timeout)
			wantRejected, wantEvents := 0, []string{tc.want}
			if tc.reject {
				wantRejected, wantEvents = 1, nil
			}
			if res.Rows != 1 || res.Rejected != wantRejected {
				t.Errorf("rows, rejected = %d, %d; want 1, %d", res.Rows, res.Rejected, wantRejected)
			}
			equalLines(t, "events", eventStrings(res.Events), wantEvents)
			if tc.reject && len(res.Sessions) != 0 {
				t.Errorf("sessions = %q, want none", summaries(res.Sessions))
			}
		})
	}
}

func TestFileFormats(t *testing.T) {
	body := "1000,7,view,1,\n2000,7,addtocart,1,\n"
	tests := []struct {
		name               string
		input              []byte
		wantRows, wantRejs int
	}{
		{name: "plain", input: []byte(header + body), wantRows: 2},
		{name: "no final line end", input: []byte(header + strings.TrimSuffix(body, "\n")), wantRows: 2},
		{name: "byte-order mark", input: []byte("\xef\xbb\xbf" + header + body), wantRows: 2},
		{name: "CRLF", input: []byte(strings.ReplaceAll(header+body, "\n", "\r\n")), wantRows: 2},
		{
			name:     "blank lines are skipped and not counted",
			input:    []byte("\n \t\r\n" + header + "\n" + "1000,7,view,1,\r\n\r\n   \n" + "2000,7,addtocart,1,\n\n"),
			wantRows: 2,
		},
		{
			name:     "spaces around header fields",
			input:    []byte(" timestamp , visitorid,event ,\titemid,transactionid \n" + body),
			wantRows: 2,
		},
		{name: "gzip", input: gzipped(t, header+body), wantRows: 2},
		{name: "gzip with BOM and CRLF", input: gzipped(t, "\xef\xbb\xbf"+strings.ReplaceAll(header+body, "\n", "\r\n")), wantRows: 2},
		{name: "a bad row among good ones", input: []byte(header + "1000,7,view,1,\nx,7,view,1,\n2000,7,addtocart,1,\n"), wantRows: 3, wantRejs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := oracle.FromReader(bytes.NewReader(tc.input), timeout)
			if err != nil {
				t.Fatalf("FromReader: %v", err)
			}
			if res.Rows != tc.wantRows || res.Rejected != tc.wantRejs {
				t.Errorf("rows, rejected = %d, %d; want %d, %d", res.Rows, res.Rejected, tc.wantRows, tc.wantRejs)
			}
			equalLines(t, "sessions", summaries(res.Sessions), []string{
				"7_1 v7 1000-2000 1s e2=1+1+0 viewed[1] carted[1] bought[] false",
			})
		})
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{name: "empty", input: ""},
		{name: "blank lines only", input: "\n\r\n  \n"},
		{name: "no header", input: "1000,7,view,1,\n"},
		{name: "wrong header", input: "time,visitor,event,item,transaction\n1000,7,view,1,\n"},
		{name: "header with a field missing", input: "timestamp,visitorid,event,itemid\n"},
		{name: "broken gzip", input: "\x1f\x8b\x08garbage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := oracle.FromReader(strings.NewReader(tc.input), timeout); err == nil {
				t.Errorf("FromReader(%q) succeeded, want an error", tc.input)
			}
		})
	}
	if _, err := oracle.FromReader(strings.NewReader(header), -time.Second); err == nil {
		t.Errorf("FromReader with a negative timeout succeeded, want an error")
	}
	if _, err := oracle.FromFile(filepath.Join(t.TempDir(), "missing.csv"), timeout); err == nil {
		t.Errorf("FromFile of a missing file succeeded, want an error")
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFromFileMagicDecides(t *testing.T) {
	dir := t.TempDir()
	plain, packed := filepath.Join(dir, "plain.gz"), filepath.Join(dir, "packed.csv")
	body := header + "1000,7,view,1,\n"
	if err := os.WriteFile(plain, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(packed, gzipped(t, body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{plain, packed} {
		res, err := oracle.FromFile(path, timeout)
		if err != nil {
			t.Fatalf("FromFile(%s): %v", filepath.Base(path), err)
		}
		equalLines(t, filepath.Base(path), eventStrings(res.Events), []string{"7@1000 view 1/-"})
	}
}

// funnelRows has five sessions at 30m (times in minutes):
//
//	1_1 at 1-3:  view, cart, two purchases of items 10 and 11
//	1_2 at 100:  view
//	2_1 at 10:   cart (abandoned)
//	2_2 at 50-55: cart, purchase of item 21
//	3_1 at 200:  view
func funnelRows() string {
	rows := []struct {
		min     int64
		visitor int
		typ     string
		item    int
		txn     string
	}{
		{1, 1, "view", 10, ""},
		{2, 1, "addtocart", 10, ""},
		{3, 1, "transaction", 10, "100"},
		{3, 1, "transaction", 11, "100"},
		{100, 1, "view", 12, ""},
		{10, 2, "addtocart", 20, ""},
		{50, 2, "addtocart", 21, ""},
		{55, 2, "transaction", 21, "101"},
		{200, 3, "view", 30, ""},
	}
	var b strings.Builder
	b.WriteString(header)
	for _, r := range rows {
		fmt.Fprintf(&b, "%d,%d,%s,%d,%s\n", r.min*minute, r.visitor, r.typ, r.item, r.txn)
	}
	return b.String()
}

func TestFunnel(t *testing.T) {
	res := fromString(t, funnelRows(), timeout)
	at := func(min int64) time.Time { return time.UnixMilli(min * minute) }
	var open time.Time

	tests := []struct {
		name     string
		from, to time.Time
		want     oracle.Funnel
	}{
		{name: "all time", from: open, to: open, want: oracle.Funnel{
			Sessions: 5, CartSessions: 3, PurchaseSessions: 2, Purchases: 3,
			ConversionRate: 40, CartAbandonment: 100.0 / 3, AvgItemsPerPurchase: 1.5,
		}},
		{name: "from is inclusive, to exclusive", from: at(10), to: at(100), want: oracle.Funnel{
			Sessions: 2, CartSessions: 2, PurchaseSessions: 1, Purchases: 1,
			ConversionRate: 50, CartAbandonment: 50, AvgItemsPerPurchase: 1,
		}},
		{name: "open start", from: open, to: at(10), want: oracle.Funnel{
			Sessions: 1, CartSessions: 1, PurchaseSessions: 1, Purchases: 2,
			ConversionRate: 100, CartAbandonment: 0, AvgItemsPerPurchase: 2,
		}},
		{name: "open end, no carts or purchases", from: at(100), to: open, want: oracle.Funnel{
			Sessions: 2,
		}},
		{name: "session in progress at from is left out", from: at(2), to: at(51), want: oracle.Funnel{
			Sessions: 2, CartSessions: 2, PurchaseSessions: 1, Purchases: 1,
			ConversionRate: 50, CartAbandonment: 50, AvgItemsPerPurchase: 1,
		}},
		{name: "empty window", from: at(300), to: at(400), want: oracle.Funnel{}},
		{name: "last day from the newest start", from: res.NewestStart().Add(-24 * time.Hour), to: open,
			want: oracle.Funnel{
				Sessions: 5, CartSessions: 3, PurchaseSessions: 2, Purchases: 3,
				ConversionRate: 40, CartAbandonment: 100.0 / 3, AvgItemsPerPurchase: 1.5,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := res.Funnel(tc.from, tc.to)
			if !sameFunnel(got, tc.want) {
				t.Errorf("Funnel(%v, %v):\ngot  %+v\nwant %+v", tc.from, tc.to, got, tc.want)
			}
		})
	}
	if got, want := res.NewestStart(), at(200).UTC(); !got.Equal(want) {
		t.Errorf("NewestStart() = %v, want %v", got, want)
	}
	if got := (&oracle.Result{}).NewestStart(); !got.IsZero() {
		t.Errorf("NewestStart() without sessions = %v, want zero", got)
	}
}

func sameFunnel(a, b oracle.Funnel) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Sessions == b.Sessions && a.CartSessions == b.CartSessions &&
		a.PurchaseSessions == b.PurchaseSessions && a.Purchases == b.Purchases &&
		near(a.ConversionRate, b.ConversionRate) && near(a.CartAbandonment, b.CartAbandonment) &&
		near(a.AvgItemsPerPurchase, b.AvgItemsPerPurchase)
}

func TestFromFileLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.csv")
	rows := header +
		"3000,1,view,1,\n" +
		"1000,1,view,2,\n" +
		"2000,2,view,3,\n" +
		"bad row\n" +
		"2000,3,view,4,\n" +
		"2000,2,view,5,\n" +
		"1000,1,view,2,9\n" // same identity as the second row, sent after it
	if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	all := []string{"1@1000 view 2/-", "1@3000 view 1/-", "2@2000 view 3/-", "2@2000 view 5/-", "3@2000 view 4/-"}

	tests := []struct {
		n    int
		want []string
	}{
		{n: 1, want: []string{"1@1000 view 2/-"}},
		{n: 2, want: []string{"1@1000 view 2/-"}},
		{n: 3, want: []string{"1@1000 view 2/-", "2@2000 view 3/-"}},
		{n: 4, want: []string{"1@1000 view 2/-", "2@2000 view 3/-", "3@2000 view 4/-"}},
		{n: 5, want: []string{"1@1000 view 2/-", "2@2000 view 3/-", "2@2000 view 5/-", "3@2000 view 4/-"}},
		{n: 6, want: all},
		{n: 100, want: all},
		{n: 0, want: all},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("first %d", tc.n), func(t *testing.T) {
			res, err := oracle.FromFileLimit(path, timeout, tc.n)
			if err != nil {
				t.Fatalf("FromFileLimit: %v", err)
			}
			if res.Rows != 7 || res.Rejected != 1 {
				t.Errorf("rows, rejected = %d, %d; want 7, 1 (the whole file)", res.Rows, res.Rejected)
			}
			equalLines(t, "events", eventStrings(res.Events), tc.want)
			var sessionEvents int32
			for _, s := range res.Sessions {
				sessionEvents += s.Events
			}
			if int(sessionEvents) != len(tc.want) {
				t.Errorf("sessions hold %d events, want %d", sessionEvents, len(tc.want))
			}
		})
	}
}

// TestSample checks invariants that must hold on any file, on the committed
// sample.
func TestSample(t *testing.T) {
	res, err := oracle.FromFile(filepath.Join("..", "..", "..", "data", "sample.csv"), timeout)
	if err != nil {
		t.Fatalf("FromFile: %v", err)
	}
	if res.Rows == 0 || len(res.Events) == 0 || res.Rows-res.Rejected < len(res.Events) {
		t.Fatalf("rows %d, rejected %d, events %d: want some rows, and no more events than accepted rows",
			res.Rows, res.Rejected, len(res.Events))
	}

	byVisitor := map[int64][]oracle.Session{}
	for i, s := range res.Sessions {
		if i > 0 && res.Sessions[i-1].ID >= s.ID {
			t.Errorf("session %s follows %s: want sorted, distinct ids", s.ID, res.Sessions[i-1].ID)
		}
		checkSession(t, s)
		byVisitor[s.Visitor] = append(byVisitor[s.Visitor], s)
	}
	for visitor, sessions := range byVisitor {
		checkVisitorSessions(t, visitor, sessions)
	}

	covered := map[string]int32{}
	for _, e := range res.Events {
		var in []string
		for _, s := range byVisitor[e.Visitor] {
			if at := time.UnixMilli(e.TimeMs); !at.Before(s.Start) && !at.After(s.End) {
				in = append(in, s.ID)
			}
		}
		if len(in) != 1 {
			t.Fatalf("%s is in sessions %q, want exactly one", eventString(e), in)
		}
		covered[in[0]]++
	}
	for _, s := range res.Sessions {
		if covered[s.ID] != s.Events {
			t.Errorf("session %s covers %d events, want Events = %d", s.ID, covered[s.ID], s.Events)
		}
	}
}

func checkSession(t *testing.T, s oracle.Session) {
	t.Helper()
	if s.Views+s.Carts+s.Transactions != s.Events || s.Events <= 0 {
		t.Errorf("session %s: views %d + carts %d + transactions %d, want Events = %d > 0",
			s.ID, s.Views, s.Carts, s.Transactions, s.Events)
	}
	if s.Converted != (s.Transactions > 0) {
		t.Errorf("session %s: converted = %t with %d transactions", s.ID, s.Converted, s.Transactions)
	}
	if s.End.Before(s.Start) || s.DurationSeconds != int32(s.End.Sub(s.Start)/time.Second) {
		t.Errorf("session %s: %v to %v lasts %ds", s.ID, s.Start, s.End, s.DurationSeconds)
	}
	sets := []struct {
		name  string
		items []int64
		count int32
	}{
		{"viewed", s.ItemsViewed, s.Views},
		{"carted", s.ItemsCarted, s.Carts},
		{"purchased", s.ItemsPurchased, s.Transactions},
	}
	for _, set := range sets {
		if !strictlyAscending(set.items) || int32(len(set.items)) > set.count || (len(set.items) == 0) != (set.count == 0) {
			t.Errorf("session %s: items %s %v for %d events, want distinct, ascending, one or more per event",
				s.ID, set.name, set.items, set.count)
		}
	}
}

func strictlyAscending(items []int64) bool {
	for i := 1; i < len(items); i++ {
		if items[i-1] >= items[i] {
			return false
		}
	}
	return true
}

// checkVisitorSessions checks that a visitor's sessions are numbered 1 to n
// in time order, with gaps longer than the timeout between them.
func checkVisitorSessions(t *testing.T, visitor int64, sessions []oracle.Session) {
	t.Helper()
	slices.SortFunc(sessions, func(a, b oracle.Session) int { return a.Start.Compare(b.Start) })
	for i, s := range sessions {
		if want := fmt.Sprintf("%d_%d", visitor, i+1); s.ID != want {
			t.Errorf("visitor %d's session %d by start is %s, want %s", visitor, i+1, s.ID, want)
		}
		if i > 0 && s.Start.Sub(sessions[i-1].End) <= timeout {
			t.Errorf("session %s starts %v after %s ends, want more than %v",
				s.ID, s.Start.Sub(sessions[i-1].End), sessions[i-1].ID, timeout)
		}
	}
}
