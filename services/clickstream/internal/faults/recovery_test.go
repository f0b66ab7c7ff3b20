package faults

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// at returns the sample taken ms milliseconds after t0.
func at(ms int, produced, written, indexed int64) Sample {
	return Sample{At: t0.Add(time.Duration(ms) * time.Millisecond), Produced: produced, Written: written, Indexed: indexed}
}

func TestAllowance(t *testing.T) {
	samples := []Sample{
		at(0, 1000, 0, 0),          // before the window: ignored
		at(1000, 2000, 1900, 1500), // lag 500
		at(2000, 3000, 2950, 2200), // lag 800
		at(3000, 4000, -1, 3900),   // incomplete: ignored
		at(4000, 5000, 4990, 4700), // lag 300
		at(7000, 9000, 0, 0),       // after the injection: ignored
	}
	if got := allowance(samples, t0.Add(5*time.Second), 4*time.Second, 250); got != 800+250 {
		t.Errorf("allowance = %d, want %d", got, 800+250)
	}
	if got := allowance(nil, t0, time.Second, 250); got != 250 {
		t.Errorf("allowance without samples = %d, want 250", got)
	}
}

func TestRecovery(t *testing.T) {
	tests := []struct {
		name     string
		over     int // ms after t0; -1: never
		answered int // ms after t0 the analytics call was made; -1: never
		samples  []Sample
		want     int // ms after t0 of the recovery; -1: none
	}{
		{
			name: "back after the fault is over and every stage moved",
			over: 1000, answered: 1000,
			samples: []Sample{
				at(800, 100, 100, 100),  // before the end of the fault
				at(1200, 200, 100, 100), // the reference
				at(1400, 300, 150, 150), // moved, but lag 150 > 100
				at(1600, 400, 380, 390), // moved, lag 20
			},
			want: 1600,
		},
		{
			name: "a stage that does not move holds it back",
			over: 0, answered: 0,
			samples: []Sample{
				at(200, 100, 100, 100),
				at(400, 200, 200, 100), // search-sink still
				at(600, 300, 300, 300),
			},
			want: 600,
		},
		{
			name: "incomplete samples do not count, not even as the reference",
			over: 0, answered: 0,
			samples: []Sample{
				at(200, -1, 100, 100),
				at(400, 200, 200, 200), // the reference
				at(600, 300, -1, 300),
				at(800, 300, 290, 300),
			},
			want: 800,
		},
		{
			name: "never while the fault lasts",
			over: -1, answered: 0,
			samples: []Sample{at(200, 100, 100, 100), at(400, 200, 200, 200)},
			want:    -1,
		},
		{
			name: "never before the analytics service answers",
			over: 0, answered: -1,
			samples: []Sample{at(200, 100, 100, 100), at(400, 200, 200, 200)},
			want:    -1,
		},
		{
			name: "an answer to a call made before the fault was over does not count",
			over: 500, answered: 400,
			samples: []Sample{at(600, 100, 100, 100), at(800, 200, 200, 200)},
			want:    -1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecovery(t0, 100)
			if tc.over >= 0 {
				r.end(t0.Add(time.Duration(tc.over) * time.Millisecond))
			}
			if tc.answered >= 0 {
				r.answer(t0.Add(time.Duration(tc.answered) * time.Millisecond))
			}
			for _, s := range tc.samples {
				r.observe(s)
			}
			want := time.Duration(0)
			if tc.want >= 0 {
				want = time.Duration(tc.want) * time.Millisecond
			}
			if got := r.took(); got != want {
				t.Errorf("took() = %v, want %v", got, want)
			}
		})
	}
}
