package replay

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/clickstream/clickstream/services/producer/internal/clickcsv"
)

// State is where a replay is in its life.
type State int32

const (
	Reading State = iota + 1
	Sending
	Done
	Stopped
	Failed
)

func (s State) String() string {
	return [...]string{"unknown", "reading", "sending", "done", "stopped", "failed"}[min(int(s), 5)]
}

// Ended reports whether the replay is over.
func (s State) Ended() bool { return s >= Done }

// FirstRejections is how many rejections a replay keeps for its report; the
// rejects file, when asked for, has every one.
const FirstRejections = 20

// Progress is the live state of one replay, read while the replay runs.
type Progress struct {
	ID      string
	Options Options
	Started time.Time

	state                       atomic.Int32
	rows, rejected, total, sent atomic.Int64
	bytes                       atomic.Int64

	mu       sync.Mutex
	sending  time.Time
	finished time.Time
	err      error
	rejects  []clickcsv.Rejection
	done     chan struct{}
}

// NewProgress returns the progress of a replay about to start.
func NewProgress(id string, opt Options) *Progress {
	p := &Progress{ID: id, Options: opt, Started: time.Now(), done: make(chan struct{})}
	p.state.Store(int32(Reading))
	return p
}

// Snapshot is a consistent copy of a Progress.
type Snapshot struct {
	ID       string
	Options  Options
	State    State
	Rows     int64 // data rows read: accepted and rejected
	Rejected int64
	Total    int64 // events to send; 0 until reading ends
	Sent     int64 // events acknowledged
	Bytes    int64 // key and value bytes acknowledged
	Started  time.Time
	Sending  time.Time // when sending began; zero while reading
	Finished time.Time // zero while running
	Err      error
	Rejects  []clickcsv.Rejection // the first FirstRejections
}

// Elapsed is the replay's running time so far, or in all once it ended.
func (s Snapshot) Elapsed() time.Duration {
	if s.Finished.IsZero() {
		return time.Since(s.Started)
	}
	return s.Finished.Sub(s.Started)
}

// Rate is acknowledged events per second over the elapsed time.
func (s Snapshot) Rate() float64 {
	if e := s.Elapsed().Seconds(); e > 0 {
		return float64(s.Sent) / e
	}
	return 0
}

// Snapshot returns the current progress.
func (p *Progress) Snapshot() Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Snapshot{
		ID:       p.ID,
		Options:  p.Options,
		State:    State(p.state.Load()),
		Rows:     p.rows.Load(),
		Rejected: p.rejected.Load(),
		Total:    p.total.Load(),
		Sent:     p.sent.Load(),
		Bytes:    p.bytes.Load(),
		Started:  p.Started,
		Sending:  p.sending,
		Finished: p.finished,
		Err:      p.err,
		Rejects:  append([]clickcsv.Rejection(nil), p.rejects...),
	}
}

// Done is closed when the replay has ended.
func (p *Progress) Done() <-chan struct{} { return p.done }

// startSending records that reading ended and sending begins.
func (p *Progress) startSending(total int64) {
	p.mu.Lock()
	p.sending = time.Now()
	p.total.Store(total)
	p.state.Store(int32(Sending))
	p.mu.Unlock()
}

func (p *Progress) addReject(rj clickcsv.Rejection) {
	p.rejected.Add(1)
	p.mu.Lock()
	if len(p.rejects) < FirstRejections {
		p.rejects = append(p.rejects, rj)
	}
	p.mu.Unlock()
}

// End records the outcome of the replay and closes [Progress.Done]. A Runner
// calls it once, when the replay is over.
func (p *Progress) End(state State, err error) {
	p.mu.Lock()
	p.finished = time.Now()
	p.err = err
	p.state.Store(int32(state))
	p.mu.Unlock()
	close(p.done)
}
