// Package event holds the click event every service passes around, and its
// wire form on the topic: the protobuf message clickstream.v1.Event, keyed
// by the visitor id as decimal text.
package event

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Type is what the visitor did. The values are the protobuf enum numbers.
type Type uint8

const (
	View        Type = 1
	AddToCart   Type = 2
	Transaction Type = 3
)

// String returns the name used in the CSV and in PostgreSQL.
func (t Type) String() string {
	switch t {
	case View:
		return "view"
	case AddToCart:
		return "addtocart"
	case Transaction:
		return "transaction"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is one of the three event types.
func (t Type) Valid() bool {
	return t >= View && t <= Transaction
}

// ParseType parses a CSV event name: view, addtocart or transaction.
func ParseType(s []byte) (Type, bool) {
	switch string(s) {
	case "view":
		return View, true
	case "addtocart":
		return AddToCart, true
	case "transaction":
		return Transaction, true
	}
	return 0, false
}

// Event is one click. Its identity is (Visitor, TimeMs, Type, Item): two
// events equal in those are the same event.
type Event struct {
	TimeMs  int64 // event time, Unix milliseconds
	Visitor int64
	Item    int64
	Txn     int64 // transaction id; meaningful only when HasTxn
	HasTxn  bool
	Type    Type
}

// Identity is the exact identity of an event, usable as a map key.
type Identity struct {
	Visitor int64
	TimeMs  int64
	Item    int64
	Type    Type
}

// Identity returns e's identity.
func (e *Event) Identity() Identity {
	return Identity{Visitor: e.Visitor, TimeMs: e.TimeMs, Item: e.Item, Type: e.Type}
}

// Time returns the event time.
func (e *Event) Time() time.Time {
	return time.UnixMilli(e.TimeMs).UTC()
}

// AppendKey appends the record key: the visitor id as decimal text.
func (e *Event) AppendKey(b []byte) []byte {
	return strconv.AppendInt(b, e.Visitor, 10)
}

// AppendID appends a document id that spells out the identity, so that two
// events share an id exactly when they are the same event:
// <visitor>-<time ms>-<type>-<item>.
func (e *Event) AppendID(b []byte) []byte {
	b = strconv.AppendInt(b, e.Visitor, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, e.TimeMs, 10)
	b = append(b, '-')
	b = append(b, e.Type.String()...)
	b = append(b, '-')
	return strconv.AppendInt(b, e.Item, 10)
}

// SentAtHeader names the record header in which a real-time replay puts the
// wall time it sent the record at, as Unix nanoseconds in decimal text, so
// that a sink can measure the latency from producer to committed row.
const SentAtHeader = "clickstream-sent-at"

// ErrInvalid is wrapped by every error about an event that cannot be used.
var ErrInvalid = errors.New("invalid event")

// Validate checks the rules every event obeys: a positive time, non-negative
// visitor and item ids, and a known type.
func (e *Event) Validate() error {
	switch {
	case e.TimeMs <= 0:
		return fmt.Errorf("%w: timestamp %d is not positive", ErrInvalid, e.TimeMs)
	case e.Visitor < 0:
		return fmt.Errorf("%w: visitor id %d is negative", ErrInvalid, e.Visitor)
	case e.Item < 0:
		return fmt.Errorf("%w: item id %d is negative", ErrInvalid, e.Item)
	case !e.Type.Valid():
		return fmt.Errorf("%w: unknown event type %d", ErrInvalid, e.Type)
	}
	return nil
}
