package oracle

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DiffSessions returns the differences between want and got, one per line,
// at most max lines (max <= 0: all); none means they are equal. Sessions are
// matched by ID, whatever order the slices are in. Times compare as
// instants, whatever their location; item lists compare in any order, with
// nil equal to empty, but a repeated item is a difference.
func DiffSessions(want, got []Session, max int) []string {
	d := differ{max: max}
	want, got = sortedSessions(want), sortedSessions(got)
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && want[i].ID < got[j].ID):
			d.addf("session %s: missing", want[i].ID)
			i++
		case i == len(want) || got[j].ID < want[i].ID:
			d.addf("session %s: unexpected (or repeated)", got[j].ID)
			j++
		default:
			if diffs := sessionFields(&want[i], &got[j]); len(diffs) > 0 {
				d.addf("session %s: %s", want[i].ID, strings.Join(diffs, "; "))
			}
			i++
			j++
		}
	}
	return d.lines()
}

func sortedSessions(s []Session) []Session {
	byID := func(a, b Session) int { return strings.Compare(a.ID, b.ID) }
	if slices.IsSortedFunc(s, byID) {
		return s
	}
	s = slices.Clone(s)
	slices.SortFunc(s, byID)
	return s
}

// sessionFields lists the fields in which got differs from want.
func sessionFields(want, got *Session) []string {
	var diffs []string
	field := func(name string, g, w any) {
		diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", name, g, w))
	}
	if got.Visitor != want.Visitor {
		field("visitor", got.Visitor, want.Visitor)
	}
	if !got.Start.Equal(want.Start) {
		field("start", stamp(got.Start), stamp(want.Start))
	}
	if !got.End.Equal(want.End) {
		field("end", stamp(got.End), stamp(want.End))
	}
	counts := []struct {
		name      string
		got, want int32
	}{
		{"duration_seconds", got.DurationSeconds, want.DurationSeconds},
		{"events", got.Events, want.Events},
		{"views", got.Views, want.Views},
		{"carts", got.Carts, want.Carts},
		{"transactions", got.Transactions, want.Transactions},
	}
	for _, c := range counts {
		if c.got != c.want {
			field(c.name, c.got, c.want)
		}
	}
	sets := []struct {
		name      string
		got, want []int64
	}{
		{"items_viewed", got.ItemsViewed, want.ItemsViewed},
		{"items_carted", got.ItemsCarted, want.ItemsCarted},
		{"items_purchased", got.ItemsPurchased, want.ItemsPurchased},
	}
	for _, s := range sets {
		g, w := sortedItems(s.got), sortedItems(s.want)
		if !slices.Equal(g, w) {
			field(s.name, itemList(g), itemList(w))
		}
	}
	if got.Converted != want.Converted {
		field("converted", got.Converted, want.Converted)
	}
	return diffs
}

func sortedItems(items []int64) []int64 {
	if slices.IsSorted(items) {
		return items
	}
	return slices.Sorted(slices.Values(items))
}

// itemList prints at most ten items of a list.
func itemList(items []int64) string {
	const show = 10
	var b strings.Builder
	b.WriteByte('[')
	for i, it := range items[:min(len(items), show)] {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(it, 10))
	}
	if len(items) > show {
		fmt.Fprintf(&b, " ... (%d items)", len(items))
	}
	b.WriteByte(']')
	return b.String()
}

func stamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// DiffEvents returns the differences between want and got, one per line, at
// most max lines (max <= 0: all); none means they are equal. Events compare
// as sets by identity, whatever order the slices are in; a matched pair must
// have the same transaction id (or none), and an identity must not repeat.
func DiffEvents(want, got []Event, max int) []string {
	d := differ{max: max}
	want, got = sortedEvents(want), sortedEvents(got)
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		c := 0
		switch {
		case j == len(got):
			c = -1
		case i == len(want):
			c = 1
		default:
			c = compareIdentity(want[i], got[j])
		}
		switch {
		case c < 0:
			d.addf("%s: missing", eventName(want[i]))
			i++
		case c > 0:
			d.addf("%s: unexpected (or repeated)", eventName(got[j]))
			j++
		default:
			if !sameTxn(want[i].Txn, got[j].Txn) {
				d.addf("%s: transaction id = %s, want %s",
					eventName(want[i]), txnName(got[j].Txn), txnName(want[i].Txn))
			}
			i++
			j++
		}
	}
	return d.lines()
}

func sortedEvents(e []Event) []Event {
	if slices.IsSortedFunc(e, compareIdentity) {
		return e
	}
	e = slices.Clone(e)
	slices.SortFunc(e, compareIdentity)
	return e
}

func compareIdentity(a, b Event) int {
	return cmp.Or(
		cmp.Compare(a.Visitor, b.Visitor),
		cmp.Compare(a.TimeMs, b.TimeMs),
		strings.Compare(a.Type, b.Type),
		cmp.Compare(a.Item, b.Item),
	)
}

func sameTxn(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func eventName(e Event) string {
	return fmt.Sprintf("event (visitor %d, time %d, %s, item %d)", e.Visitor, e.TimeMs, e.Type, e.Item)
}

func txnName(t *int64) string {
	if t == nil {
		return "none"
	}
	return strconv.FormatInt(*t, 10)
}

// differ collects difference lines up to a maximum, and counts the rest.
type differ struct {
	max   int
	out   []string
	total int
}

func (d *differ) addf(format string, args ...any) {
	d.total++
	if d.max <= 0 || len(d.out) < d.max {
		d.out = append(d.out, fmt.Sprintf(format, args...))
	}
}

// lines returns the collected lines; when some were left out, the last line
// says how many differences there are in all.
func (d *differ) lines() []string {
	if d.total > len(d.out) {
		d.out[len(d.out)-1] = fmt.Sprintf("... %d differences in all, the rest left out", d.total)
	}
	return d.out
}
