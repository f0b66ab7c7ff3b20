package event

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

func generated(e Event) *clickstreamv1.Event {
	m := &clickstreamv1.Event{
		TimestampMs: e.TimeMs,
		VisitorId:   e.Visitor,
		Type:        clickstreamv1.EventType(e.Type),
		ItemId:      e.Item,
	}
	if e.HasTxn {
		m.TransactionId = proto.Int64(e.Txn)
	}
	return m
}

var samples = []Event{
	{TimeMs: 1433221332117, Visitor: 257597, Item: 355908, Type: View},
	{TimeMs: 1, Visitor: 0, Item: 0, Type: AddToCart},
	{TimeMs: math.MaxInt64, Visitor: math.MaxInt64, Item: math.MaxInt64, Type: Transaction, Txn: 4000, HasTxn: true},
	{TimeMs: 1433224214164, Visitor: 992329, Item: 248676, Type: Transaction, Txn: 0, HasTxn: true},
	{TimeMs: 5, Visitor: 1, Item: 2, Type: Transaction, Txn: -7, HasTxn: true},
}

func TestCodecMatchesGeneratedCode(t *testing.T) {
	for _, e := range samples {
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(generated(e))
		if err != nil {
			t.Fatal(err)
		}
		if got := e.AppendProto(nil); !bytes.Equal(got, want) {
			t.Errorf("AppendProto(%+v) = %x, want %x", e, got, want)
		}
		got, err := Decode(want)
		if err != nil || got != e {
			t.Errorf("Decode(generated %+v) = %+v, %v", e, got, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := samples[0]
	tests := []struct {
		name string
		msg  []byte
	}{
		{"empty", nil},
		{"truncated", valid.AppendProto(nil)[:3]},
		{"no type", (&Event{TimeMs: 1, Visitor: 1, Item: 1}).AppendProto(nil)},
		{"unknown type", (&Event{TimeMs: 1, Visitor: 1, Item: 1, Type: 9}).AppendProto(nil)},
		{"negative visitor", (&Event{TimeMs: 1, Visitor: -1, Item: 1, Type: View}).AppendProto(nil)},
		{"zero time", (&Event{Visitor: 1, Item: 1, Type: View}).AppendProto(nil)},
		{"garbage", []byte("not a protobuf message at all")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if e, err := Decode(tc.msg); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode = %+v, %v; want ErrInvalid", e, err)
			}
		})
	}
}

func TestDecodeSkipsUnknownFields(t *testing.T) {
	e := samples[2]
	b := e.AppendProto(nil)
	b = append(b, 0x32, 0x03, 'a', 'b', 'c') // field 6, bytes "abc"
	got, err := Decode(b)
	if err != nil || got != e {
		t.Fatalf("Decode with unknown field = %+v, %v; want %+v", got, err, e)
	}
}

func TestIdentityText(t *testing.T) {
	e := Event{TimeMs: 1433221332117, Visitor: 257597, Item: 355908, Type: View}
	if got, want := string(e.AppendID(nil)), "257597-1433221332117-view-355908"; got != want {
		t.Fatalf("AppendID = %q, want %q", got, want)
	}
	if got := string(e.AppendKey(nil)); got != "257597" {
		t.Fatalf("AppendKey = %q, want 257597", got)
	}
}

// FuzzDecode checks that Decode never panics and agrees with the generated
// code: whatever it accepts, the generated code reads field for field; and
// whatever it rejects, the generated code either cannot parse or reads as an
// event that breaks a rule of [Event.Validate].
func FuzzDecode(f *testing.F) {
	for _, e := range samples {
		f.Add(e.AppendProto(nil))
	}
	f.Add([]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte("not a protobuf message at all"))
	f.Add([]byte{0x08, 0x01, 0x18, 0x01, 0x0b, 0x08, 0x01, 0x0c})       // a group, skipped
	f.Add([]byte{0x08, 0x01, 0x18, 0x01, 0x1a, 0x01, 0x03})             // type as bytes: unknown
	f.Add([]byte{0x08, 0x01, 0x18, 0x81, 0x80, 0x80, 0x80, 0x10})       // type 2^32+1
	f.Add([]byte{0x08, 0x01, 0x18, 0x01, 0x28, 0x80, 0x80, 0x80, 0x80}) // truncated varint
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Decode(b)
		var m clickstreamv1.Event
		uerr := proto.Unmarshal(b, &m)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%x) = %v, which does not wrap ErrInvalid", b, err)
			}
			if uerr == nil && validGenerated(&m) {
				t.Fatalf("Decode rejects %x (%v), generated code reads a valid event %v", b, err, &m)
			}
			return
		}
		if uerr != nil {
			t.Fatalf("Decode accepted %x, generated code rejects it: %v", b, uerr)
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("Decode(%x) = %+v, which breaks a rule: %v", b, e, err)
		}
		m.ProtoReflect().SetUnknown(nil) // Decode skips unknown fields
		if want := generated(e); !proto.Equal(&m, want) {
			t.Fatalf("Decode(%x) = %+v, generated code reads %v", b, e, &m)
		}
		if again, err := Decode(e.AppendProto(nil)); err != nil || again != e {
			t.Fatalf("re-encoding %+v decodes to %+v, %v", e, again, err)
		}
	})
}

// validGenerated applies the rules of [Event.Validate] to a message as the
// generated code reads it.
func validGenerated(m *clickstreamv1.Event) bool {
	t := m.GetType()
	return m.GetTimestampMs() > 0 && m.GetVisitorId() >= 0 && m.GetItemId() >= 0 &&
		t >= clickstreamv1.EventType_EVENT_TYPE_VIEW && t <= clickstreamv1.EventType_EVENT_TYPE_TRANSACTION
}

func BenchmarkAppendProto(b *testing.B) {
	e := samples[0]
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = e.AppendProto(buf[:0])
	}
}

func BenchmarkDecode(b *testing.B) {
	msg := samples[3].AppendProto(nil)
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}
