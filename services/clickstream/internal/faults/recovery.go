package faults

import "time"

// Sample is one look at the pipeline's positions. A position is -1 when its
// store did not answer.
type Sample struct {
	At       time.Time
	Produced int64 // the events topic's end offsets, summed over partitions
	Written  int64 // the offsets the pg-sink stored in PostgreSQL, summed
	Indexed  int64 // the offsets the search-sink committed to Kafka, summed
}

func (s Sample) complete() bool {
	return s.Produced >= 0 && s.Written >= 0 && s.Indexed >= 0
}

// lag returns the larger of the two sinks' lags behind the topic.
func (s Sample) lag() int64 {
	return max(s.Produced-s.Written, s.Produced-s.Indexed)
}

// RecoveryDefinition says what a recovery time measures; the report prints
// it under the table.
const RecoveryDefinition = `Recovery time: from the injection (SIGKILL sent, restart or stop begun,
keys deleted) to the first sample, taken every 200 ms, at which all of this
holds: the fault is over (the killed process serves again, the server
answers again); every stage has moved since the first sample after the fault
was over (the topic's end offsets, the offsets the pg-sink stored in
PostgreSQL, the offsets the search-sink committed to Kafka) and the
analytics service has answered a funnel request since then; and both
sinks' lag (end offsets minus their offsets) is back on the pre-fault trend:
at most the largest lag sampled in the 5 seconds before the injection, while
events flowed, plus one second of the replay's pace.`

// allowance returns the lag that counts as back on trend after a fault
// injected at at: the largest lag of either sink among the samples in the
// window before at, plus perSecond, one second of the replay's pace.
func allowance(samples []Sample, at time.Time, window time.Duration, perSecond int64) int64 {
	var worst int64
	for _, s := range samples {
		if s.complete() && !s.At.Before(at.Add(-window)) && !s.At.After(at) {
			worst = max(worst, s.lag())
		}
	}
	return worst + perSecond
}

// recovery decides when the pipeline is back after one injection.
type recovery struct {
	injected  time.Time
	allowance int64

	over     time.Time // when the fault ended; zero until it has
	ref      Sample    // the first complete sample after over
	haveRef  bool
	answered bool      // the analytics service answered since over
	at       time.Time // when the pipeline recovered; zero until it has
}

func newRecovery(injected time.Time, allowance int64) *recovery {
	return &recovery{injected: injected, allowance: allowance}
}

// end records that the fault is over.
func (r *recovery) end(t time.Time) { r.over = t }

// answer records that the analytics service answered a funnel request it
// received at t.
func (r *recovery) answer(t time.Time) {
	if !r.over.IsZero() && !t.Before(r.over) {
		r.answered = true
	}
}

// observe takes the next sample and reports whether the pipeline has
// recovered.
func (r *recovery) observe(s Sample) bool {
	if !r.at.IsZero() {
		return true
	}
	if r.over.IsZero() || s.At.Before(r.over) || !s.complete() {
		return false
	}
	if !r.haveRef {
		r.ref, r.haveRef = s, true
		return false
	}
	moved := s.Produced > r.ref.Produced && s.Written > r.ref.Written && s.Indexed > r.ref.Indexed
	if moved && r.answered && s.lag() <= r.allowance {
		r.at = s.At
		return true
	}
	return false
}

// took returns the recovery time, or 0 while the pipeline has not
// recovered.
func (r *recovery) took() time.Duration {
	if r.at.IsZero() {
		return 0
	}
	return r.at.Sub(r.injected)
}
