package clickcsv

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/clickstream/clickstream/services/platform/event"
)

// readAll reads every row of input through a reader fed by wrap.
func readAll(t testing.TB, input []byte, wrap func(io.Reader) io.Reader) ([]Row, []Rejection, error) {
	t.Helper()
	r, err := NewReader(wrap(bytes.NewReader(input)))
	if err != nil {
		return nil, nil, err
	}
	var rejects []Rejection
	r.OnReject = func(rj Rejection) { rejects = append(rejects, rj) }
	var rows []Row
	buf := make([]Row, 3)
	for {
		n, err := r.Read(buf)
		rows = append(rows, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, rejects, err
		}
	}
	if got := int64(len(rows) + len(rejects)); got != r.Rows() || int64(len(rejects)) != r.Rejected() {
		t.Fatalf("Rows() = %d, Rejected() = %d; saw %d rows and %d rejects",
			r.Rows(), r.Rejected(), len(rows), len(rejects))
	}
	return rows, rejects, nil
}

func identity(r io.Reader) io.Reader { return r }

func TestReaderAcceptsTheFileVariants(t *testing.T) {
	want := []Row{
		{event.Event{TimeMs: 1433221332117, Visitor: 257597, Type: event.View, Item: 355908}, 2},
		{event.Event{TimeMs: 1433224214164, Visitor: 992329, Type: event.Transaction, Item: 248676, Txn: 4000, HasTxn: true}, 4},
	}
	tests := []struct {
		name  string
		input string
		lines []int64 // where want's rows are, when not 2 and 4
	}{
		{name: "plain", input: Header + "\n1433221332117,257597,view,355908,\n\n1433224214164,992329,transaction,248676,4000\n"},
		{name: "crlf no final newline", input: Header + "\r\n1433221332117,257597,view,355908,\r\n\r\n1433224214164,992329,transaction,248676,4000"},
		{name: "bom and spaces", input: "\xef\xbb\xbf timestamp , visitorid,event,itemid, transactionid \n 1433221332117 ,257597, view ,355908, \n  \t \n1433224214164,992329,transaction,248676, 4000 \n"},
		{name: "blank lines before header", input: "\n\n" + Header + "\n1433221332117,257597,view,355908,\n1433224214164,992329,transaction,248676,4000\n", lines: []int64{4, 5}},
	}
	for _, tc := range tests {
		for _, wrap := range []struct {
			name string
			fn   func(io.Reader) io.Reader
		}{{"whole", identity}, {"byte by byte", iotest.OneByteReader}, {"gzip", gzipped}} {
			t.Run(tc.name+"/"+wrap.name, func(t *testing.T) {
				rows, rejects, err := readAll(t, []byte(tc.input), wrap.fn)
				if err != nil || len(rejects) != 0 {
					t.Fatalf("err = %v, rejects = %v", err, rejects)
				}
				if len(rows) != len(want) {
					t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
				}
				for i := range want {
					w := want[i]
					if tc.lines != nil {
						w.Line = tc.lines[i]
					}
					if rows[i] != w {
						t.Errorf("row %d = %+v, want %+v", i, rows[i], w)
					}
				}
			})
		}
	}
}

func gzipped(r io.Reader) io.Reader {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	io.Copy(zw, r)
	zw.Close()
	return &b
}

func TestReaderRejections(t *testing.T) {
	long := "1," + strings.Repeat("9", MaxLine) + ",view,1,"
	tests := []struct {
		row    string
		reason string
	}{
		{"1,2,view,3", "has 4 fields, want 5"},
		{"1,2,view,3,,", "has 6 fields, want 5"},
		{"0,2,view,3,", `timestamp "0" is not a positive integer`},
		{"-5,2,view,3,", `timestamp "-5" is not a positive integer`},
		{"1.5,2,view,3,", `timestamp "1.5" is not a positive integer`},
		{",2,view,3,", `timestamp "" is not a positive integer`},
		{"1,-2,view,3,", `visitorid "-2" is not a non-negative 64-bit integer`},
		{"1,9223372036854775808,view,3,", `visitorid "9223372036854775808" is not a non-negative 64-bit integer`},
		{"1,2,click,3,", `event "click" is not view, addtocart or transaction`},
		{"1,2,View,3,", `event "View" is not view, addtocart or transaction`},
		{"1,2,view,x,", `itemid "x" is not a non-negative 64-bit integer`},
		{"1,2,transaction,3,abc", `transactionid "abc" is neither empty nor an integer`},
		{"1,2,transaction,3,-", `transactionid "-" is neither empty nor an integer`},
		{long, "line is longer than 65536 bytes"},
	}
	var input strings.Builder
	input.WriteString(Header + "\n")
	for _, tc := range tests {
		input.WriteString(tc.row + "\n")
		input.WriteString("7,8,addtocart,9,\n")
	}
	for _, wrap := range []func(io.Reader) io.Reader{identity, iotest.HalfReader} {
		rows, rejects, err := readAll(t, []byte(input.String()), wrap)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(tests) || len(rejects) != len(tests) {
			t.Fatalf("got %d rows and %d rejects, want %d of each", len(rows), len(rejects), len(tests))
		}
		for i, tc := range tests {
			if want := int64(2 + 2*i); rejects[i].Line != want || rejects[i].Reason != tc.reason {
				t.Errorf("reject %d = line %d %q; want line %d %q", i, rejects[i].Line, rejects[i].Reason, want, tc.reason)
			}
			if rows[i].Line != int64(3+2*i) || rows[i].Visitor != 8 {
				t.Errorf("row %d = %+v, want the good row on line %d", i, rows[i], 3+2*i)
			}
		}
	}
}

func TestReaderKeepsSignedTransactionIDs(t *testing.T) {
	input := Header + "\n1,2,transaction,3,-9223372036854775808\n1,2,transaction,4,+12\n"
	rows, rejects, err := readAll(t, []byte(input), identity)
	if err != nil || len(rejects) != 0 || len(rows) != 2 {
		t.Fatalf("rows %v rejects %v err %v", rows, rejects, err)
	}
	if rows[0].Txn != -9223372036854775808 || rows[1].Txn != 12 {
		t.Fatalf("transaction ids = %d, %d", rows[0].Txn, rows[1].Txn)
	}
}

func TestReaderFileErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"empty", "", "no header"},
		{"only blank lines", "\n \r\n", "no header"},
		{"wrong header", "time,visitor\n1,2,view,3,\n", `line 1: header is "time,visitor"`},
		{"data without header", "1,2,view,3,\n", "line 1: header is"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tc.input), identity)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	_, _, err := readAll(t, []byte{0x1f, 0x8b, 0, 1, 2, 3}, identity)
	if err == nil {
		t.Fatal("a broken gzip stream read without error")
	}
}

// TestReaderLongLinesWhateverTheReads reads files with lines longer than
// MaxLine in pieces of several sizes: a long line is judged by what it holds
// (blank lines are skipped, a long header line is an error), not by where the
// reads happen to split it.
func TestReaderLongLinesWhateverTheReads(t *testing.T) {
	blank := strings.Repeat(" ", 2*MaxLine+100)
	long := strings.Repeat("9", 2*MaxLine+100)
	tests := []struct {
		name    string
		input   string
		rows    int
		rejects []int64
		err     string
	}{
		{"blank long line", Header + "\n" + blank + "\n1,2,view,3,\n", 1, nil, ""},
		{"blank long line first", "\xef\xbb\xbf" + blank + "\n" + Header + "\n1,2,view,3,\n", 1, nil, ""},
		{"long row", Header + "\n" + long + "\n1,2,view,3,\n" + long, 1, []int64{2, 4}, ""},
		{"long line before the header", long + "\n" + Header + "\n1,2,view,3,\n", 0, nil, "line 1: header is longer than 65536 bytes"},
		{"padded header too long", blank + Header + "\n1,2,view,3,\n", 0, nil, "line 1: header is longer than 65536 bytes"},
	}
	for _, tc := range tests {
		for _, n := range []int{1 << 20, 1000, 4093, 4096, 65536} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
				rows, rejects, err := readAll(t, []byte(tc.input), func(r io.Reader) io.Reader { return chunkReader{r, n} })
				if tc.err != "" {
					if err == nil || !strings.Contains(err.Error(), tc.err) {
						t.Fatalf("err = %v, want one containing %q", err, tc.err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var lines []int64
				for _, rj := range rejects {
					lines = append(lines, rj.Line)
				}
				if len(rows) != tc.rows || !slices.Equal(lines, tc.rejects) {
					t.Fatalf("got %d rows and rejects on lines %v; want %d rows, rejects on %v", len(rows), lines, tc.rows, tc.rejects)
				}
			})
		}
	}
}
