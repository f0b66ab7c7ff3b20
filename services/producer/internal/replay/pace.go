package replay

import (
	"context"
	"time"
)

// pacer holds events back until their time comes in a replay running at
// speed times real time: the event at time t is due at
// start + (t - first) / speed.
type pacer struct {
	speed float64
	first int64 // event time of the first event, ms
	start time.Time
	timer *time.Timer
}

func newPacer(speed float64, first int64) *pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{speed: speed, first: first, start: time.Now(), timer: t}
}

// wait blocks until the event at time ts is due, or ctx is done. An event
// already due, as when the sender falls behind, goes at once.
func (pc *pacer) wait(ctx context.Context, ts int64) error {
	offset := time.Duration(float64(ts-pc.first) * float64(time.Millisecond) / pc.speed)
	d := time.Until(pc.start.Add(offset))
	if d <= 0 {
		return nil
	}
	pc.timer.Reset(d)
	select {
	case <-ctx.Done():
		pc.timer.Stop()
		return ctx.Err()
	case <-pc.timer.C:
		return nil
	}
}
