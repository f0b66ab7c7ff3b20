package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// replayReport is the JSON form of a replay, documented in docs/cli.md;
// fields are only ever added.
type replayReport struct {
	ID              string       `json:"id"`
	State           string       `json:"state"`
	File            string       `json:"file"`
	Limit           int64        `json:"limit"`
	Speed           float64      `json:"speed"`
	Rows            int64        `json:"rows"`
	Rejected        int64        `json:"rejected"`
	Total           int64        `json:"total"`
	Sent            int64        `json:"sent"`
	Bytes           int64        `json:"bytes"`
	DurationSeconds float64      `json:"duration_seconds"`
	EventsPerSecond float64      `json:"events_per_second"`
	Error           string       `json:"error,omitempty"`
	FirstRejections []rejectJSON `json:"first_rejections"`
	RejectsFile     string       `json:"rejects_file,omitempty"`
}

type rejectJSON struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

func replayJSON(r *clickstreamv1.Replay) replayReport {
	rep := replayReport{
		ID:              r.GetId(),
		State:           stateName(r.GetState()),
		File:            r.GetFile(),
		Limit:           r.GetLimit(),
		Speed:           r.GetSpeed(),
		Rows:            r.GetRows(),
		Rejected:        r.GetRejected(),
		Total:           r.GetTotal(),
		Sent:            r.GetSent(),
		Bytes:           r.GetBytes(),
		DurationSeconds: r.GetElapsed().AsDuration().Seconds(),
		EventsPerSecond: r.GetEventsPerSecond(),
		Error:           r.GetError(),
		FirstRejections: []rejectJSON{},
		RejectsFile:     r.GetRejectsFile(),
	}
	for _, rj := range r.GetFirstRejections() {
		rep.FirstRejections = append(rep.FirstRejections, rejectJSON{Line: rj.GetLine(), Reason: rj.GetReason()})
	}
	return rep
}

func stateName(s clickstreamv1.ReplayState) string {
	name := strings.TrimPrefix(s.String(), "REPLAY_STATE_")
	return strings.ToLower(name)
}

func writeSummary(w io.Writer, r *clickstreamv1.Replay) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "replay %s %s\n", r.GetId(), stateName(r.GetState()))
	fmt.Fprintf(tw, "  file\t%s\n", r.GetFile())
	fmt.Fprintf(tw, "  sent\t%s of %s events (%s)\n", count(r.GetSent()), count(r.GetTotal()), bytesSize(r.GetBytes()))
	fmt.Fprintf(tw, "  rejected\t%s of %s rows\n", count(r.GetRejected()), count(r.GetRows()))
	fmt.Fprintf(tw, "  duration\t%s\n", r.GetElapsed().AsDuration().Round(time.Millisecond))
	fmt.Fprintf(tw, "  rate\t%s events/s\n", count(int64(r.GetEventsPerSecond())))
	if e := r.GetError(); e != "" {
		fmt.Fprintf(tw, "  error\t%s\n", e)
	}
	for _, rj := range r.GetFirstRejections() {
		fmt.Fprintf(tw, "  line %d\t%s\n", rj.GetLine(), rj.GetReason())
	}
	if n := r.GetRejected() - int64(len(r.GetFirstRejections())); n > 0 {
		where := "pass --rejects FILE to list them all"
		if f := r.GetRejectsFile(); f != "" {
			where = "all are in " + f
		}
		fmt.Fprintf(tw, "  …\t%s more rejected rows; %s\n", count(n), where)
	}
	return tw.Flush()
}

// count formats n with thousands separators: 2,756,101.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func bytesSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
