package sink

import (
	"sync/atomic"
	"testing"
)

func TestVisitorFilterHasNoFalseNegatives(t *testing.T) {
	f := &visitorFilter{words: make([]atomic.Uint64, 1<<14), mask: 1<<20 - 1}
	for v := int64(0); v < 50_000; v += 3 {
		f.add(v)
	}
	falsePositives := 0
	for v := int64(0); v < 50_000; v++ {
		in := f.mayContain(v)
		if v%3 == 0 && !in {
			t.Fatalf("visitor %d was added but is not contained", v)
		}
		if v%3 != 0 && in {
			falsePositives++
		}
	}
	if rate := float64(falsePositives) / 33_333; rate > 0.01 {
		t.Fatalf("false positive rate %.4f at 63 bits per visitor, want under 1%%", rate)
	}
}
