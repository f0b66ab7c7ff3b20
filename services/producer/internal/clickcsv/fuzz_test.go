package clickcsv

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clickstream/clickstream/services/platform/event"
)

var (
	digits       = regexp.MustCompile(`^[0-9]+$`)
	signedDigits = regexp.MustCompile(`^[+-]?[0-9]+$`)
)

// reference applies the rules of the file format the slow, obvious way, for
// the fuzzer to compare the reader with. It returns the accepted rows and the
// rejected line numbers, or ok=false when the file has no valid header.
func reference(input string) (rows []Row, rejected []int64, ok bool) {
	bomLen := 0
	if strings.HasPrefix(input, "\xef\xbb\xbf") {
		input, bomLen = input[3:], 3
	}
	lines := strings.Split(input, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	header := false
	for i, line := range lines {
		num := int64(i + 1)
		if strings.Trim(line, " \t\r") == "" {
			continue
		}
		long := len(line) > MaxLine
		if i == 0 {
			long = len(line)+bomLen > MaxLine
		}
		if !header {
			if long {
				return nil, nil, false
			}
			fields := strings.Split(line, ",")
			for j := range fields {
				fields[j] = strings.Trim(fields[j], " \t\r")
			}
			if strings.Join(fields, ",") != Header {
				return nil, nil, false
			}
			header = true
			continue
		}
		if e, good := referenceRow(line); good && !long {
			rows = append(rows, Row{Event: e, Line: num})
		} else {
			rejected = append(rejected, num)
		}
	}
	return rows, rejected, header
}

func referenceRow(line string) (event.Event, bool) {
	var e event.Event
	fields := strings.Split(line, ",")
	if len(fields) != 5 {
		return e, false
	}
	for i := range fields {
		fields[i] = strings.Trim(fields[i], " \t\r")
	}
	var errs [4]error
	e.TimeMs, errs[0] = nonNegative(fields[0])
	e.Visitor, errs[1] = nonNegative(fields[1])
	e.Item, errs[2] = nonNegative(fields[3])
	if fields[4] != "" {
		e.HasTxn = true
		if !signedDigits.MatchString(fields[4]) {
			errs[3] = errors.New("bad")
		} else {
			e.Txn, errs[3] = strconv.ParseInt(fields[4], 10, 64)
		}
	}
	typ, typeOK := event.ParseType([]byte(fields[2]))
	e.Type = typ
	return e, errors.Join(errs[:]...) == nil && typeOK && e.TimeMs > 0
}

func nonNegative(s string) (int64, error) {
	if !digits.MatchString(s) {
		return 0, errors.New("not digits")
	}
	return strconv.ParseInt(s, 10, 64)
}

// chunkReader returns at most n bytes a call, to split lines across reads.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), c.n)])
}

// FuzzReader checks the reader against [reference] on any input, and that
// the input read in small pieces gives the same rows and rejections.
func FuzzReader(f *testing.F) {
	f.Add(Header + "\n1433221332117,257597,view,355908,\n1,2,transaction,3,-4\r\n")
	f.Add("\xef\xbb\xbf" + Header + "\r\n\r\n 5 , 6 ,addtocart, 7 , \n1,2,view\n")
	f.Add(Header + "\n1,2,view,3,\n1,2,view,3,x\n0,2,view,3,\n1,99999999999999999999,view,3,\n")
	f.Add("\n" + Header + "\n1,2,transaction,3,+0\n,,,,\n")
	f.Add("garbage\n1,2,view,3,\n")
	f.Add(Header + "\n1,2,view,3,\n\x00\x01\xff\xfe,\x1f\x8b,,\x00,\n1,2,3\n2,3,view,4,5,6\n9,9,view,9,\n")
	// Lines longer than MaxLine, some longer than the pieces the fuzzer reads
	// in: blank ones are skipped, others rejected, and before the header fatal.
	f.Add(Header + "\n" + strings.Repeat(" ", MaxLine+3) + "\n1,2,view,3,\n" + strings.Repeat("x", MaxLine+1))
	f.Add(Header + "\n" + strings.Repeat(" ", 2*MaxLine) + "\n1,2,view,3,\n" + strings.Repeat("7", 2*MaxLine))
	f.Add("\xef\xbb\xbf" + strings.Repeat(" \t", MaxLine) + "\n" + Header + "\n1,2,view,3,\n")
	f.Add(strings.Repeat("x", 2*MaxLine) + "\n" + Header + "\n1,2,view,3,\n")
	f.Fuzz(func(t *testing.T, input string) {
		wantRows, wantRejected, ok := reference(input)
		gotRows, gotRejects, err := readAll(t, []byte(input), identity)
		if !ok {
			if err == nil {
				t.Fatalf("reader accepted a file without a valid header: %q", input)
			}
			return
		}
		if err != nil {
			t.Fatalf("reader failed on a file with a header: %v\n%q", err, input)
		}
		if len(gotRows) != len(wantRows) {
			t.Fatalf("reader accepted %d rows, reference %d\n%q", len(gotRows), len(wantRows), input)
		}
		for i := range wantRows {
			if gotRows[i] != wantRows[i] {
				t.Fatalf("row %d = %+v, reference %+v", i, gotRows[i], wantRows[i])
			}
		}
		if len(gotRejects) != len(wantRejected) {
			t.Fatalf("reader rejected %d rows, reference %d\n%q", len(gotRejects), len(wantRejected), input)
		}
		for i, line := range wantRejected {
			if gotRejects[i].Line != line || gotRejects[i].Reason == "" {
				t.Fatalf("reject %d = %+v, reference line %d", i, gotRejects[i], line)
			}
		}

		n := 1 + len(input)%61 + len(input)/64 // small pieces, few reads
		pieces := func(r io.Reader) io.Reader { return chunkReader{r, n} }
		rows, rejects, err := readAll(t, []byte(input), pieces)
		if err != nil || !slices.Equal(rows, gotRows) || !slices.Equal(rejects, gotRejects) {
			t.Fatalf("read %d bytes at a time: %d rows, rejects %v, err %v; read whole: %d rows, rejects %v",
				n, len(rows), rejects, err, len(gotRows), gotRejects)
		}
	})
}

// benchmarkInput is n rows shaped like RetailRocket's, every 50th a cart and
// every 120th a purchase.
func benchmarkInput(n int) []byte {
	var b bytes.Buffer
	b.WriteString(Header + "\n")
	for i := range n {
		ts := 1430000000000 + int64(i)*4711
		visitor, item := (i*7919)%1407580, (i*104729)%466867
		b.WriteString(strconv.FormatInt(ts, 10) + "," + strconv.Itoa(visitor) + ",")
		switch {
		case i%120 == 0:
			b.WriteString("transaction," + strconv.Itoa(item) + "," + strconv.Itoa(i%17000) + "\n")
		case i%50 == 0:
			b.WriteString("addtocart," + strconv.Itoa(item) + ",\n")
		default:
			b.WriteString("view," + strconv.Itoa(item) + ",\n")
		}
	}
	return b.Bytes()
}

// BenchmarkRead reports the parse rate in rows/s on one goroutine.
func BenchmarkRead(b *testing.B) {
	const n = 1_000_000
	input := benchmarkInput(n)
	buf := make([]Row, 10_000)
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(input))
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			k, err := r.Read(buf)
			rows += k
			if err != nil {
				break
			}
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
