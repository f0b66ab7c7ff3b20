package datagen

import (
	"slices"
	"time"
)

// The session model's knobs. They are tuned so that a full-size file lands on
// RetailRocket's published figures (see the package comment); the tests pin
// the resulting ratios, so a change here shows up there.
const (
	// timeout is the pipeline's default SESSION_TIMEOUT. The model keeps every
	// gap inside a session at or under it and every gap between sessions
	// above it, so sessionizing the file at 30m recovers the model's sessions.
	timeout = int64(30 * time.Minute / time.Millisecond)

	// Sessions per visitor: most come once, a few come back, and heavy
	// visitors (the tail) come back tens to hundreds of times.
	pOneSession  = 0.948
	pTwoSessions = 0.038
	pFewSessions = 0.012 // 3 to 7 sessions; the rest are heavy visitors

	// Views per session: usually one or two, with a Pareto tail of long
	// browsing sessions.
	pMoreViews   = 0.31
	pLongSession = 0.02

	// Carts and purchases. pCart is per view outside a purchase; a
	// purchasing session carts every item it buys, so carts also come from
	// pPurchase. Basket sizes follow RetailRocket's 1.27 items per purchase.
	pCart     = 0.0178
	pPurchase = 0.0111
	pRevisit  = 0.2 // a view returns to an item already seen this session

	// Gaps between a visitor's clicks.
	pTimeoutGap = 0.003 // a gap of exactly the timeout, which stays in the session
	pEdgeGap    = 0.003 // between sessions: timeout+1ms, the smallest split
	pSpreadBuy  = 0.3   // a purchase's rows get a few ms to seconds apart

	arrivalJitter = int64(10 * time.Minute / time.Millisecond)

	// Item popularity (see [newSource]): with the catalogue scaled to the
	// file, this gives RetailRocket's 235k distinct items at full size and
	// a top item with about 0.14% of views.
	zipfExponent = 1.25
	zipfOffset   = 200 // at full size; scaled with the catalogue
)

// visitorRange is the number of visitor ids RetailRocket has; ids are drawn
// from 0..visitorRange-1 (more for files larger than FullRows).
const visitorRange = 1_407_580

// visitor is one person's state between sessions: only what the next session
// needs, since tens of thousands of them can wait in the queue.
type visitor struct {
	next  int64   // start of its next session, Unix ms
	gap   float64 // typical gap between its sessions, ms
	id    int32
	left  int32 // sessions still to come
	heavy bool  // long sessions, many of them
}

// model turns visitors into sessions of rows. Sessions are opened in
// start-time order: returning visitors wait in pending until the clock
// reaches their next session, and new visitors arrive at the clock.
type model struct {
	src      *source
	visitors *idTable
	txns     *idTable
	items    []int32 // item id by popularity rank
	origin   int64   // Unix ms of the first session
	span     int64   // ms over which sessions start
	pending  visitorHeap
	seen     []int32 // scratch: items viewed in the session being built
}

// open appends the rows of the next session to rows: the longest-waiting
// returning visitor if one is due by now, else a new visitor arriving shortly
// before now. The jitter hides the clock's even steps; it never reaches
// before origin, so the first session starts at origin.
func (m *model) open(now int64, rows []row) []row {
	if len(m.pending) > 0 && m.pending[0].next <= now {
		v := m.pending.pop()
		return m.session(v, v.next, rows)
	}
	start := m.src.between(max(now-arrivalJitter, m.origin), now+1)
	return m.session(m.arrive(), start, rows)
}

// arrive draws a new visitor: how often it will come back and how far apart.
func (m *model) arrive() visitor {
	v := visitor{id: m.visitors.take()}
	switch r := m.src.float(); {
	case r < pOneSession:
		return v
	case r < pOneSession+pTwoSessions:
		v.left = 1
	case r < pOneSession+pTwoSessions+pFewSessions:
		v.left = int32(2 + m.src.intn(5))
	default:
		v.left = int32(m.src.pareto(4, 1.0, 300))
		v.heavy = true
	}

	// Hours to weeks between sessions, but tight enough that a heavy
	// visitor's sessions fit in the span at all.
	hour := float64(time.Hour / time.Millisecond)
	v.gap = m.src.logUniform(2*hour, 21*24*hour)
	v.gap = min(v.gap, float64(m.span)/float64(v.left+1))
	return v
}

// session appends one session of v starting at start, then queues v's next
// session, if any, after a gap longer than the timeout.
func (m *model) session(v visitor, start int64, rows []row) []row {
	n := m.views(v.heavy)
	k := 0
	if m.src.chance(pPurchase) {
		k = m.basketSize()
		n = max(n, k)
	}

	// The first k views are the items bought later: distinct, and carted
	// right after they are viewed, so carts follow views and purchases
	// follow carts of the same item in the same session.
	seen := m.seen[:0]
	t := start
	for i := range n {
		if i > 0 {
			t += m.clickGap()
		}
		item := m.pickItem(seen, i < k)
		seen = append(seen, item)
		rows = append(rows, row{ts: t, visitor: v.id, item: item, txn: noTxn, event: view})
		if i < k || m.src.chance(pCart) {
			t += min(max(int64(m.src.logNormal(15_000, 0.8)), 1000), timeout)
			rows = append(rows, row{ts: t, visitor: v.id, item: item, txn: noTxn, event: addToCart})
		}
	}
	if k > 0 {
		t += min(max(int64(m.src.logNormal(90_000, 0.9)), 2000), timeout)
		rows = m.purchase(v.id, t, seen[:k], rows)
	}
	m.seen = seen

	if v.left > 0 {
		v.left--
		v.next = rows[len(rows)-1].ts + m.sessionGap(v)
		m.pending.push(v)
	}
	return rows
}

// views draws the number of views in a session.
func (m *model) views(heavy bool) int {
	if heavy {
		return int(m.src.pareto(2, 1.5, 200))
	}
	if m.src.chance(pLongSession) {
		return int(m.src.pareto(4, 1.6, 200))
	}
	return 1 + m.src.geometric(pMoreViews)
}

// basketSize draws the items in one purchase: 1 mostly, up to 4.
func (m *model) basketSize() int {
	switch r := m.src.float(); {
	case r < 0.83:
		return 1
	case r < 0.93:
		return 2
	case r < 0.97:
		return 3
	default:
		return 4
	}
}

// pickItem returns the item of the next view: sometimes one seen earlier in
// the session, else a popular-skewed draw. A purchase needs distinct items, so
// distinct redraws until the item is new to the session.
func (m *model) pickItem(seen []int32, distinct bool) int32 {
	if !distinct && len(seen) > 0 && m.src.chance(pRevisit) {
		return seen[m.src.intn(len(seen))]
	}
	for {
		item := m.items[m.src.itemRank()]
		if !distinct || !slices.Contains(seen, item) {
			return item
		}
	}
}

// purchase appends one transaction row per item, sharing one transaction id.
func (m *model) purchase(visitor int32, t int64, items []int32, rows []row) []row {
	id := m.txns.take()
	spread := m.src.chance(pSpreadBuy)
	for i, item := range items {
		if i > 0 && spread {
			t += m.src.between(1, 3000)
		}
		rows = append(rows, row{ts: t, visitor: visitor, item: item, txn: id, event: transaction})
	}
	return rows
}

// clickGap draws the gap between two clicks of one session: seconds to a few
// minutes, a few near the timeout, and some exactly at it, an edge case the
// sessionizer must keep in the session.
func (m *model) clickGap() int64 {
	if m.src.chance(pTimeoutGap) {
		return timeout
	}
	g := int64(m.src.logNormal(40_000, 1.3))
	if g >= timeout {
		g = m.src.between(timeout-10*60_000, timeout)
	}
	return max(g, 1000)
}

// sessionGap draws the gap between two sessions of v, always longer than the
// timeout; a few are the smallest such gap, the other side of the edge.
func (m *model) sessionGap(v visitor) int64 {
	if m.src.chance(pEdgeGap) {
		return timeout + 1
	}
	return max(int64(m.src.logNormal(v.gap, 0.8)), 2*timeout)
}

// visitorHeap is a min-heap of visitors by next session start. It is typed,
// not container/heap, to avoid boxing a value per push on the hot path.
type visitorHeap []visitor

func (h *visitorHeap) push(v visitor) {
	*h = append(*h, v)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].next <= s[i].next {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *visitorHeap) pop() visitor {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(s) {
			break
		}
		if c+1 < len(s) && s[c+1].next < s[c].next {
			c++
		}
		if s[i].next <= s[c].next {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}
