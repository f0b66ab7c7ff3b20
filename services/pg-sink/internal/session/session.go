// Package session folds a visitor's events, in event-time order, into
// sessions: a new session starts where the gap since the last event of the
// current one is longer than the timeout.
package session

import (
	"slices"
	"strconv"
	"time"

	"github.com/clickstream/clickstream/services/platform/event"
)

// State is a visitor's current session: the only one that events can still
// change. Earlier sessions are final.
type State struct {
	Visitor int64
	N       int32 // the session's number among the visitor's, from 1
	Start   int64 // Unix ms
	End     int64 // Unix ms

	Events, Views, Carts, Transactions int32

	// Distinct item ids, sorted.
	Viewed, Carted, Purchased []int64
}

// Outcome says what applying an event did.
type Outcome uint8

const (
	Extended Outcome = iota // the event joined the current session
	Opened                  // the event opened a new session
	Late                    // the event is older than the current session; nothing changed
)

// Apply folds e into s and returns what happened. When e opens a new
// session, closed is the session that ended, final; s then holds the new
// one. A nil s (a visitor without sessions) is not allowed: use [New].
func (s *State) Apply(e *event.Event, timeout time.Duration) (o Outcome, closed *State) {
	switch {
	case e.TimeMs < s.Start:
		return Late, nil
	case e.TimeMs-s.End > timeout.Milliseconds():
		old := *s
		*s = State{Visitor: s.Visitor, N: s.N + 1, Start: e.TimeMs, End: e.TimeMs}
		s.add(e)
		return Opened, &old
	}
	s.End = max(s.End, e.TimeMs)
	s.add(e)
	return Extended, nil
}

// New returns the first session of e's visitor, opened by e, numbered n.
func New(e *event.Event, n int32) *State {
	s := &State{Visitor: e.Visitor, N: n, Start: e.TimeMs, End: e.TimeMs}
	s.add(e)
	return s
}

func (s *State) add(e *event.Event) {
	s.Events++
	switch e.Type {
	case event.View:
		s.Views++
		s.Viewed = insert(s.Viewed, e.Item)
	case event.AddToCart:
		s.Carts++
		s.Carted = insert(s.Carted, e.Item)
	case event.Transaction:
		s.Transactions++
		s.Purchased = insert(s.Purchased, e.Item)
	}
}

// insert adds v to the sorted set, copying so that clones never share.
func insert(set []int64, v int64) []int64 {
	i, found := slices.BinarySearch(set, v)
	if found {
		return set
	}
	out := make([]int64, len(set)+1)
	copy(out, set[:i])
	out[i] = v
	copy(out[i+1:], set[i:])
	return out
}

// ID returns the session id, <visitor>_<n>.
func (s *State) ID() string {
	return strconv.FormatInt(s.Visitor, 10) + "_" + strconv.FormatInt(int64(s.N), 10)
}

// DurationSeconds is the whole seconds from start to end.
func (s *State) DurationSeconds() int32 {
	return int32((s.End - s.Start) / 1000)
}

// Clone returns a copy that shares nothing mutable with s. Item sets are
// never changed in place, so sharing their arrays is safe.
func (s *State) Clone() *State {
	c := *s
	return &c
}

// ParseID splits a session id into visitor and number.
func ParseID(id string) (visitor int64, n int32, ok bool) {
	for i := len(id) - 1; i > 0; i-- {
		if id[i] != '_' {
			continue
		}
		v, err1 := strconv.ParseInt(id[:i], 10, 64)
		k, err2 := strconv.ParseInt(id[i+1:], 10, 32)
		return v, int32(k), err1 == nil && err2 == nil && k > 0
	}
	return 0, 0, false
}
