package faults

import (
	"strings"
	"testing"
	"time"
)

func TestReport(t *testing.T) {
	r := &Report{
		Input:   "in.csv: 10 events",
		Timeout: time.Minute,
		Rows: []Row{
			{Fault: "SIGKILL pg-sink, restart", Over: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
				Recovery: []time.Duration{6400 * time.Millisecond, 7 * time.Second}, Checked: true},
			{Fault: "Kafka broker restarted", Over: []time.Duration{20 * time.Second}, Recovery: []time.Duration{0}},
			{Fault: "Valkey keys deleted", Over: []time.Duration{0}, Recovery: []time.Duration{time.Second}, Checked: true,
				Failures: []string{"the dead-letter topic holds 3 records"}},
			{Fault: "none: the rest", Checked: true},
		},
	}
	var b strings.Builder
	r.Write(&b)
	out := b.String()
	for _, want := range []string{
		"SIGKILL pg-sink, restart  2               0.1s, 0.2s        6.4s, 7.0s       yes",
		"Kafka broker restarted    1               20.0s             not within 1m0s  NO",
		"Valkey keys deleted       1               0.0s              1.0s             NO",
		"none: the rest            -               -                 -                yes",
		"FAILED after Valkey keys deleted: the dead-letter topic holds 3 records",
		RecoveryDefinition,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if r.Passed() {
		t.Error("Passed() = true with a row not recovered and one failed")
	}
	r.Rows = []Row{r.Rows[0], r.Rows[3]}
	if !r.Passed() {
		t.Error("Passed() = false with every row held")
	}
	if (&Report{}).Passed() {
		t.Error("Passed() = true for an empty report")
	}
}
