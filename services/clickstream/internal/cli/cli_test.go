package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestParseSpeed(t *testing.T) {
	tests := []struct {
		name  string
		set   bool
		value string
		args  []string
		want  float64
		fails bool
	}{
		{name: "batch", want: 0},
		{name: "bare flag", set: true, value: "1x", want: 1},
		{name: "flag=value", set: true, value: "5x", want: 5},
		{name: "value as next arg", set: true, value: "1x", args: []string{"100x"}, want: 100},
		{name: "fraction", set: true, value: "0.5x", want: 0.5},
		{name: "no x", set: true, value: "10", want: 10},
		{name: "zero", set: true, value: "0x", fails: true},
		{name: "word", set: true, value: "fast", fails: true},
		{name: "stray arg", args: []string{"5x"}, fails: true},
		{name: "two values", set: true, value: "2x", args: []string{"5x"}, fails: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSpeed(tc.set, tc.value, tc.args)
			if (err != nil) != tc.fails || got != tc.want {
				t.Fatalf("parseSpeed = %v, %v; want %v (fails %v)", got, err, tc.want, tc.fails)
			}
		})
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 2756101: "2,756,101", -12345: "-12,345"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReplaySummaryGolden(t *testing.T) {
	r := &clickstreamv1.Replay{
		Id: "20261203T120000-1", State: clickstreamv1.ReplayState_REPLAY_STATE_DONE,
		File: "data/events.csv", Rows: 2756125, Rejected: 24, Total: 2756101, Sent: 2756101,
		Bytes: 63_954_123, Elapsed: durationpb.New(4701 * time.Millisecond), EventsPerSecond: 586223.4,
		FirstRejections: []*clickstreamv1.Rejection{
			{Line: 17, Reason: "has 4 fields, want 5"},
			{Line: 90210, Reason: `event "click" is not view, addtocart or transaction`},
		},
	}
	var human, js bytes.Buffer
	if err := writeSummary(&human, r); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(&js, replayJSON(r)); err != nil {
		t.Fatal(err)
	}
	golden(t, "replay_summary.txt", human.Bytes())
	golden(t, "replay_summary.json", js.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestUnreachableProducerIsOneClearLine(t *testing.T) {
	var stdout, stderr bytes.Buffer
	t.Setenv("PRODUCER_ADDR", "127.0.0.1:1") // nothing listens; stop never starts one
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:1")
	code := Run(t.Context(), []string{"--env-file", "/nonexistent", "producer", "stop"}, &stdout, &stderr)
	if code == 0 {
		t.Fatal("producer stop succeeded against an unreachable producer")
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "producer at 127.0.0.1:1 is not reachable") {
		t.Fatalf("stderr = %q, want one line naming the producer and its address", msg)
	}
}

func TestDataGenerateWritesAFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "gen", "events.csv.gz")
	var stdout, stderr bytes.Buffer
	code := Run(t.Context(), []string{"data", "generate", "--rows", "5000", "--out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() == 0 || !strings.Contains(stdout.String(), "5,000 rows") {
		t.Fatalf("stat %v %v; stdout %q", st, err, stdout.String())
	}
}
