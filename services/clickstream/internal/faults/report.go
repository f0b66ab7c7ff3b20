package faults

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is the report's line for one kind of fault.
type Row struct {
	Fault    string
	Over     []time.Duration // per injection: from the injection until the fault was over
	Recovery []time.Duration // per injection; 0 when the pipeline did not recover in time
	Checked  bool            // the invariants were checked after the last injection
	Failures []string        // the invariants that did not hold
}

// Held reports whether the row passed: checked, recovered from every
// injection, and every invariant held.
func (r Row) Held() bool {
	if !r.Checked || len(r.Failures) > 0 {
		return false
	}
	for _, d := range r.Recovery {
		if d == 0 {
			return false
		}
	}
	return true
}

// Report is what a run of the suite found.
type Report struct {
	Input    string // what was replayed
	Rows     []Row
	Notes    []string
	Wall     time.Duration
	Timeout  time.Duration // the longest recovery waited for
	Finished time.Time
}

// Passed reports whether every row passed.
func (r *Report) Passed() bool {
	if len(r.Rows) == 0 {
		return false
	}
	for _, row := range r.Rows {
		if !row.Held() {
			return false
		}
	}
	return true
}

// Write prints the table, the definitions, the failures and the notes.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "fault suite, %s\ninput: %s\n\n", r.Finished.UTC().Format(time.RFC3339), r.Input)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "fault\ttimes injected\tfault over after\trecovery time\tinvariants held")
	for _, row := range r.Rows {
		held := "yes"
		if !row.Held() {
			held = "NO"
		}
		times := "-"
		if len(row.Recovery) > 0 {
			times = fmt.Sprint(len(row.Recovery))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.Fault, times, durations(row.Over, ""),
			durations(row.Recovery, fmt.Sprintf("not within %v", r.Timeout)), held)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nwall time: %v\n\n%s\n\n%s\n", r.Wall.Round(time.Second), RecoveryDefinition, InvariantsDefinition)
	for _, row := range r.Rows {
		for _, f := range row.Failures {
			fmt.Fprintf(w, "\nFAILED after %s: %s", row.Fault, f)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote: %s", n)
	}
	if len(r.Notes) > 0 || !r.Passed() {
		fmt.Fprintln(w)
	}
}

// InvariantsDefinition says what the last column checks; the report prints
// it under the table.
const InvariantsDefinition = `Invariants, checked after each kind of fault once the replay is stopped and
both sinks have caught up, against one clean batch pass (services/platform/
oracle) over the events sent so far: PostgreSQL's events and sessions equal
it row for row; OpenSearch holds one document per distinct event (count) and
200 documents picked at random have the right id and content; the
dead-letter topic is empty; the analytics service's all-time funnel equals
the clean pass's within its ANALYTICS_MAX_STALENESS (2s) and one second.`

// durations prints a list of durations, zeros as missing.
func durations(ds []time.Duration, missing string) string {
	if len(ds) == 0 {
		return "-"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		if d == 0 && missing != "" {
			parts[i] = missing
			continue
		}
		parts[i] = fmt.Sprintf("%.1fs", d.Seconds())
	}
	return strings.Join(parts, ", ")
}
