package cli

import (
	"fmt"
	"io"
	"strings"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// progressBar redraws one line in place on a terminal and does nothing
// elsewhere, so that piped output stays clean.
type progressBar struct {
	w  io.Writer
	on bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, on: interactive(w)}
}

const barWidth = 30

func (b *progressBar) draw(r *clickstreamv1.Replay) {
	if !b.on {
		return
	}
	if r.GetState() == clickstreamv1.ReplayState_REPLAY_STATE_READING {
		fmt.Fprintf(b.w, "\r\033[Kreading  %s rows", count(r.GetRows()))
		return
	}
	b.fraction("sending", r.GetSent(), r.GetTotal())
	fmt.Fprintf(b.w, "  %s ev/s", count(int64(r.GetEventsPerSecond())))
}

func (b *progressBar) clear() {
	if b.on {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// fraction draws a plain progress line: label, bar, done of total.
func (b *progressBar) fraction(label string, done, total int64) {
	if !b.on || total <= 0 {
		return
	}
	frac := min(float64(done)/float64(total), 1)
	filled := int(frac * barWidth)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", barWidth-filled)
	fmt.Fprintf(b.w, "\r\033[K%-8s %s %5.1f%%  %s/%s", label, bar, 100*frac, count(done), count(total))
}
