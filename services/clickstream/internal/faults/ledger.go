package faults

import "fmt"

// replay is one replay the suite asked the producer for.
type replay struct {
	from    int   // send position of the first row of its file; the file runs to the end of the input
	sent    int64 // events the producer reported acknowledged
	written int64 // records it put on the topic, from the topic's end offsets
	clean   bool  // it ended stopped or done: every event it handed to the client was acknowledged
}

// ledger keeps track of which send positions are on the topic, so that a
// checkpoint knows which prefix of the input the stores must equal.
//
// A replay that ended cleanly wrote the positions from to from+sent, no more
// and no fewer: the producer flushes before it reports, and counts each
// record once when it is acknowledged. (A record can still be on the topic
// twice, when the client sends a batch again under a new producer epoch;
// the suite reports when written differs from sent.) A replay that was
// killed wrote a ragged set: each partition got a prefix of its records,
// but a batch of one partition may have been lost while a later batch of
// another was written. Its positions all lie below from + written +
// buffered, since at most buffered records wait for acknowledgement and
// every acknowledged record is written. A later clean replay that starts at
// or before its start and goes past that bound fills the holes.
type ledger struct {
	rows     int // positions in the input
	buffered int // the producer's PRODUCER_BUFFERED_RECORDS
	covered  int // positions 0 to covered-1 are all on the topic
	open     []replay
}

// add records a finished replay.
func (l *ledger) add(r replay) { l.open = append(l.open, r) }

// settle folds the replays added since the last call into the covered
// prefix and returns it. It fails when the topic may hold positions beyond
// that prefix, or when a replay started past it and left a gap: the stores'
// expected state is then unknown.
func (l *ledger) settle() (int, error) {
	open := l.open
	l.open = nil
	for grown := true; grown; {
		grown = false
		for _, r := range open {
			if r.clean && r.from <= l.covered && r.from+int(r.sent) > l.covered {
				l.covered = r.from + int(r.sent)
				grown = true
			}
		}
	}
	for _, r := range open {
		if r.from > l.covered {
			return l.covered, fmt.Errorf("a replay started at send position %d, past the %d positions on the topic", r.from, l.covered)
		}
		if bound := min(r.from+int(r.written)+l.buffered, l.rows); !r.clean && bound > l.covered {
			return l.covered, fmt.Errorf("a replay from send position %d that did not end cleanly (%d records written) "+
				"may have sent positions up to %d, beyond the %d that later replays covered", r.from, r.written, bound, l.covered)
		}
	}
	return l.covered, nil
}
