package event

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of clickstream.v1.Event (proto/clickstream/v1/event.proto).
// The codec writes the wire format directly, without allocating; tests prove
// it equal to the generated code's.
const (
	fieldTime    protowire.Number = 1
	fieldVisitor protowire.Number = 2
	fieldType    protowire.Number = 3
	fieldItem    protowire.Number = 4
	fieldTxn     protowire.Number = 5
)

// AppendProto appends e encoded as a clickstream.v1.Event message.
func (e *Event) AppendProto(b []byte) []byte {
	b = appendVarint(b, fieldTime, uint64(e.TimeMs))
	b = appendVarint(b, fieldVisitor, uint64(e.Visitor))
	b = appendVarint(b, fieldType, uint64(e.Type))
	b = appendVarint(b, fieldItem, uint64(e.Item))
	if e.HasTxn {
		b = protowire.AppendTag(b, fieldTxn, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(e.Txn))
	}
	return b
}

// appendVarint appends a proto3 implicit-presence field: nothing for zero.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// Decode parses a clickstream.v1.Event message and validates it. Unknown
// fields are skipped and a repeated field's last value wins, as protobuf
// requires; an error wraps [ErrInvalid].
func Decode(b []byte) (Event, error) {
	var e Event
	var etype int32 // an enum is an int32 on the wire: higher bits are dropped
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Event{}, fmt.Errorf("%w: %v", ErrInvalid, protowire.ParseError(n))
		}
		if !num.IsValid() {
			return Event{}, fmt.Errorf("%w: field number %d out of range", ErrInvalid, num)
		}
		b = b[n:]
		if typ != protowire.VarintType || num < fieldTime || num > fieldTxn {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return Event{}, fmt.Errorf("%w: field %d: %v", ErrInvalid, num, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return Event{}, fmt.Errorf("%w: field %d: %v", ErrInvalid, num, protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case fieldTime:
			e.TimeMs = int64(v)
		case fieldVisitor:
			e.Visitor = int64(v)
		case fieldType:
			etype = int32(v)
		case fieldItem:
			e.Item = int64(v)
		case fieldTxn:
			e.Txn, e.HasTxn = int64(v), true
		}
	}
	if etype < 0 || etype > 255 {
		return Event{}, fmt.Errorf("%w: unknown event type %d", ErrInvalid, etype)
	}
	e.Type = Type(etype)
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}
