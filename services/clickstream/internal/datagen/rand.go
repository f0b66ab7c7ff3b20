package datagen

import (
	"math"
	"math/rand/v2"
)

// pcgStream is the second PCG word. It is fixed so that Options.Seed alone
// picks the stream, and changing it would change every generated file.
const pcgStream = 0x636c69636b73 // "clicks"

// source is the generator's only randomness: one PCG stream seeded from
// Options.Seed and consumed in a fixed order, so the seed fixes the file.
// Every distribution the model uses lives here, which keeps the order of
// draws in one place when the model changes.
type source struct {
	r    *rand.Rand
	zipf *rand.Zipf
}

// newSource seeds the stream and the item-popularity law over ranks
// 0..ranks-1. Zipf–Mandelbrot with an offset keeps the head realistic: a
// plain Zipf law would give the top item several percent of all views, where
// RetailRocket's top item has about 0.13%.
func newSource(seed int64, ranks int, offset float64) *source {
	r := rand.New(rand.NewPCG(uint64(seed), pcgStream))
	return &source{r: r, zipf: rand.NewZipf(r, zipfExponent, max(offset, 1), uint64(ranks-1))}
}

// float returns a uniform value in [0, 1).
func (s *source) float() float64 { return s.r.Float64() }

// intn returns a uniform value in [0, n).
func (s *source) intn(n int) int { return s.r.IntN(n) }

// chance reports true with probability p.
func (s *source) chance(p float64) bool { return s.r.Float64() < p }

// between returns a uniform value in [lo, hi).
func (s *source) between(lo, hi int64) int64 { return lo + s.r.Int64N(hi-lo) }

// logNormal returns a log-normal value with the given median; human gaps
// between clicks are close to log-normal: mostly short, with a long tail.
func (s *source) logNormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*s.r.NormFloat64())
}

// logUniform returns a value spread evenly over the orders of magnitude
// between lo and hi, for quantities like "hours to weeks".
func (s *source) logUniform(lo, hi float64) float64 {
	return lo * math.Pow(hi/lo, s.r.Float64())
}

// pareto returns a heavy-tailed value >= lo, capped at hi; alpha near 1 gives
// the few very active visitors that RetailRocket has.
func (s *source) pareto(lo, alpha, hi float64) float64 {
	return min(lo/math.Pow(1-s.r.Float64(), 1/alpha), hi)
}

// geometric returns how many times an event with probability p repeats
// before it stops: 0 with probability 1-p.
func (s *source) geometric(p float64) int {
	n := 0
	for s.r.Float64() < p {
		n++
	}
	return n
}

// itemRank returns a popularity rank, 0 being the most viewed item.
func (s *source) itemRank() int { return int(s.zipf.Uint64()) }

// idTable hands out distinct ids in random order: the first len(perm) from a
// shuffled range, then sequential ones above it. The overflow keeps ids
// unique if a run needs more than the table holds, without sizing the table
// for the worst case.
type idTable struct {
	perm []int32
	next int
}

// newIDTable shuffles 0..n-1 (Fisher–Yates) for use by [idTable.take].
func (s *source) newIDTable(n int) *idTable {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	s.r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	return &idTable{perm: perm}
}

// take returns the next unused id.
func (t *idTable) take() int32 {
	i := t.next
	t.next++
	if i < len(t.perm) {
		return t.perm[i]
	}
	return int32(i)
}
