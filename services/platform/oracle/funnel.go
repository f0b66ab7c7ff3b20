package oracle

import "time"

// Funnel is the funnel of the sessions in a window.
type Funnel struct {
	Sessions         int64 // sessions in the window
	CartSessions     int64 // sessions with an add-to-cart
	PurchaseSessions int64 // sessions with a transaction
	Purchases        int64 // transaction events in those sessions

	ConversionRate      float64 // percent of sessions with a purchase; 0 without sessions
	CartAbandonment     float64 // percent of cart sessions without a purchase; 0 without cart sessions
	AvgItemsPerPurchase float64 // mean distinct items purchased per purchase session; 0 without any
}

// Funnel returns the funnel of the sessions that start in [from, to). A zero
// from or to leaves that end of the window open.
func (r *Result) Funnel(from, to time.Time) Funnel {
	var f Funnel
	var abandoned, itemsPurchased int64
	for i := range r.Sessions {
		s := &r.Sessions[i]
		if (!from.IsZero() && s.Start.Before(from)) || (!to.IsZero() && !s.Start.Before(to)) {
			continue
		}
		f.Sessions++
		f.Purchases += int64(s.Transactions)
		if s.Carts > 0 {
			f.CartSessions++
			if !s.Converted {
				abandoned++
			}
		}
		if s.Converted {
			f.PurchaseSessions++
			itemsPurchased += int64(len(s.ItemsPurchased))
		}
	}
	f.ConversionRate = percent(f.PurchaseSessions, f.Sessions)
	f.CartAbandonment = percent(abandoned, f.CartSessions)
	if f.PurchaseSessions > 0 {
		f.AvgItemsPerPurchase = float64(itemsPurchased) / float64(f.PurchaseSessions)
	}
	return f
}

func percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// NewestStart returns the latest session start, the point the "last day"
// and "last month" windows count back from; zero when there are no sessions.
func (r *Result) NewestStart() time.Time {
	var newest time.Time
	for i := range r.Sessions {
		if r.Sessions[i].Start.After(newest) {
			newest = r.Sessions[i].Start
		}
	}
	return newest
}
