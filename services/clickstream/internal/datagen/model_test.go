package datagen

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"
)

// RetailRocket's figures per row, which a generated file of any size keeps.
const (
	visitorsPerRow = 1_407_580.0 / FullRows
	itemsPerRow    = 235_061.0 / FullRows
	sessionsPerRow = 1_549_055.0 / FullRows
)

func TestSampleRatios(t *testing.T) {
	recs, st := sample(t)
	sess := 0
	for _, evs := range byVisitor(recs) {
		sess += len(sessions(evs))
	}
	share := func(n int) float64 { return float64(n) / float64(st.Rows) }
	tests := []struct {
		name      string
		got, want float64
		tol       float64
	}{
		{name: "views", got: share(st.Views), want: 0.967, tol: 0.002},
		{name: "add-to-carts", got: share(st.Carts), want: 0.025, tol: 0.002},
		{name: "transactions", got: share(st.Transactions), want: 0.008, tol: 0.002},
		{name: "duplicates", got: share(st.Duplicates), want: 0.003, tol: 0.002},
		{name: "visitors per row", got: share(st.Visitors), want: visitorsPerRow, tol: 0.1 * visitorsPerRow},
		{name: "items per row", got: share(st.Items), want: itemsPerRow, tol: 0.1 * itemsPerRow},
		{name: "sessions per row", got: share(sess), want: sessionsPerRow, tol: 0.1 * sessionsPerRow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > tc.tol {
				t.Fatalf("got %.4f, want %.4f ± %.4f", tc.got, tc.want, tc.tol)
			}
		})
	}
}

func TestSampleDuplicates(t *testing.T) {
	recs, _ := sample(t)
	lastLine := make(map[string]int, len(recs))
	adjacent, far := 0, 0
	for i, r := range recs {
		if j, ok := lastLine[r.raw]; ok {
			if i-j == 1 {
				adjacent++
			} else if i-j > 1000 {
				far++
			}
		}
		lastLine[r.raw] = i
	}
	if adjacent == 0 || far == 0 {
		t.Fatalf("duplicates: %d adjacent, %d more than 1000 rows apart; want some of each", adjacent, far)
	}
}

func TestSampleFileOrder(t *testing.T) {
	recs, _ := sample(t)
	backwards, visitorBackwards := 0, 0
	last := map[int64]int64{} // visitor -> timestamp of its previous row
	for i, r := range recs {
		if i > 0 && r.ts < recs[i-1].ts {
			backwards++
		}
		if prev, ok := last[r.visitor]; ok && r.ts < prev {
			visitorBackwards++
		}
		last[r.visitor] = r.ts
	}
	if backwards == 0 || visitorBackwards == 0 {
		t.Fatalf("rows earlier than the row before: %d, than the visitor's previous row: %d; want some of each",
			backwards, visitorBackwards)
	}
	if share := float64(visitorBackwards) / float64(len(recs)); share > 0.05 {
		t.Fatalf("%.1f%% of rows are earlier than their visitor's previous row, want only occasionally", 100*share)
	}

	// Roughly in time order: each tenth of the file is later, by median,
	// than the one before.
	var prevMedian int64
	for tenth := range 10 {
		part := slices.Clone(recs[tenth*len(recs)/10 : (tenth+1)*len(recs)/10])
		slices.SortFunc(part, func(a, b record) int { return cmp.Compare(a.ts, b.ts) })
		median := part[len(part)/2].ts
		if median <= prevMedian {
			t.Fatalf("tenth %d: median time %d, not after the previous tenth's %d", tenth, median, prevMedian)
		}
		prevMedian = median
	}
}

func TestSampleIDs(t *testing.T) {
	recs, _ := sample(t)
	first, last := recs[0].ts, recs[0].ts
	var maxVisitor, maxItem int64
	sequential, newVisitors, prevNew := 0, 0, int64(-2)
	seen := map[int64]bool{}
	for _, r := range recs {
		first, last = min(first, r.ts), max(last, r.ts)
		maxVisitor, maxItem = max(maxVisitor, r.visitor), max(maxItem, r.item)
		if !seen[r.visitor] {
			seen[r.visitor] = true
			newVisitors++
			if r.visitor == prevNew+1 {
				sequential++
			}
			prevNew = r.visitor
		}
	}
	if days := time.Duration(last-first) * time.Millisecond / (24 * time.Hour); days < 138 || days > 139 {
		t.Fatalf("time span = %d whole days, want 138 to 139", days)
	}
	if float64(maxVisitor) >= visitorRange*idSlack || maxVisitor < visitorRange/2 {
		t.Fatalf("largest visitor id = %d, want spread over 0..%d", maxVisitor, visitorRange)
	}
	if maxItem >= itemRange || maxItem < itemRange/2 {
		t.Fatalf("largest item id = %d, want spread over 0..%d", maxItem, itemRange-1)
	}
	if sequential > newVisitors/100 {
		t.Fatalf("%d of %d new visitors have the previous new visitor's id + 1, want random-ish ids",
			sequential, newVisitors)
	}
}

func TestSampleItemPopularity(t *testing.T) {
	recs, _ := sample(t)
	views := map[int64]int{}
	total := 0
	for _, r := range recs {
		if r.event == "view" {
			views[r.item]++
			total++
		}
	}
	counts := make([]int, 0, len(views))
	for _, n := range views {
		counts = append(counts, n)
	}
	slices.SortFunc(counts, func(a, b int) int { return cmp.Compare(b, a) })
	top := 0
	for _, n := range counts[:len(counts)/100] {
		top += n
	}
	if share := float64(top) / float64(total); share < 0.2 {
		t.Fatalf("top 1%% of items get %.1f%% of views, want a skewed catalogue (>= 20%%)", 100*share)
	}
}

func TestSampleSessions(t *testing.T) {
	recs, _ := sample(t)
	var visitors, fewSessions, nSessions, events, timeoutGaps, edgeSplits, heavy int
	for _, evs := range byVisitor(recs) {
		ss := sessions(evs)
		visitors++
		nSessions += len(ss)
		events += len(evs)
		if len(ss) <= 2 {
			fewSessions++
		}
		if len(evs) >= 100 {
			heavy++
		}
		for i := 1; i < len(evs); i++ {
			switch evs[i].ts - evs[i-1].ts {
			case timeout:
				timeoutGaps++
			case timeout + 1:
				edgeSplits++
			}
		}
	}
	perSession := float64(events) / float64(nSessions)
	t.Logf("visitors %d, sessions %d, events per session %.3f, heavy visitors %d", visitors, nSessions, perSession, heavy)

	if share := float64(fewSessions) / float64(visitors); share < 0.95 {
		t.Fatalf("%.1f%% of visitors have 1 or 2 sessions, want most (>= 95%%)", 100*share)
	}
	if perSession < 1.5 || perSession > 2.1 {
		t.Fatalf("events per session = %.3f, want 1.5 to 2.1 (RetailRocket: 1.78)", perSession)
	}
	if timeoutGaps == 0 || edgeSplits == 0 {
		t.Fatalf("gaps of exactly the timeout: %d, of timeout+1ms: %d; want some of each", timeoutGaps, edgeSplits)
	}
	if heavy == 0 {
		t.Fatalf("no visitor has 100 or more events, want a heavy tail")
	}
}

func TestSampleFunnelOrder(t *testing.T) {
	recs, _ := sample(t)
	for visitor, evs := range byVisitor(recs) {
		for _, s := range sessions(evs) {
			viewed, carted := map[int64]int64{}, map[int64]int64{} // item -> its first time
			for _, e := range s {
				switch e.event {
				case "view":
					if _, ok := viewed[e.item]; !ok {
						viewed[e.item] = e.ts
					}
				case "addtocart":
					if at, ok := viewed[e.item]; !ok || at >= e.ts {
						t.Fatalf("visitor %d: line %d carts item %d with no earlier view in the session", visitor, e.line, e.item)
					}
					if _, ok := carted[e.item]; !ok {
						carted[e.item] = e.ts
					}
				case "transaction":
					if at, ok := carted[e.item]; !ok || at >= e.ts {
						t.Fatalf("visitor %d: line %d buys item %d with no earlier cart in the session", visitor, e.line, e.item)
					}
				}
			}
		}
	}
}

func TestSampleTransactionIDs(t *testing.T) {
	recs, _ := sample(t)
	type purchase struct {
		visitor, first, last int64
		items                map[int64]bool
	}
	purchases := map[string]*purchase{}
	rows := map[string]bool{}
	for _, r := range recs {
		if r.event != "transaction" || rows[r.raw] {
			continue
		}
		rows[r.raw] = true
		p, ok := purchases[r.txn]
		if !ok {
			p = &purchase{visitor: r.visitor, first: r.ts, last: r.ts, items: map[int64]bool{}}
			purchases[r.txn] = p
		}
		if p.visitor != r.visitor {
			t.Fatalf("transaction %s: line %d is visitor %d's, earlier rows visitor %d's", r.txn, r.line, r.visitor, p.visitor)
		}
		if p.items[r.item] {
			t.Fatalf("transaction %s: line %d buys item %d twice", r.txn, r.line, r.item)
		}
		p.items[r.item] = true
		p.first, p.last = min(p.first, r.ts), max(p.last, r.ts)
	}

	multi, items := 0, 0
	for id, p := range purchases {
		if p.last-p.first > 10_000 {
			t.Fatalf("transaction %s spans %d ms, want the rows of one purchase together", id, p.last-p.first)
		}
		items += len(p.items)
		if len(p.items) > 1 {
			multi++
		}
	}
	perPurchase := float64(items) / float64(len(purchases))
	if multi == 0 || perPurchase < 1.15 || perPurchase > 1.4 {
		t.Fatalf("%d multi-item purchases, %.2f items per purchase; want some, and about 1.27", multi, perPurchase)
	}
}
