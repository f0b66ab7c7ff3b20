package session

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Encode appends s in a compact binary form, for the Valkey cache.
func (s *State) Encode(b []byte) []byte {
	b = protowire.AppendVarint(b, uint64(s.Visitor))
	for _, v := range []int64{int64(s.N), s.Start, s.End, int64(s.Events), int64(s.Views), int64(s.Carts), int64(s.Transactions)} {
		b = protowire.AppendVarint(b, uint64(v))
	}
	for _, set := range [][]int64{s.Viewed, s.Carted, s.Purchased} {
		b = protowire.AppendVarint(b, uint64(len(set)))
		for _, v := range set {
			b = protowire.AppendVarint(b, uint64(v))
		}
	}
	return b
}

var errCorrupt = errors.New("corrupt session state")

// Decode reads a state written by [State.Encode].
func Decode(b []byte) (*State, error) {
	r := varints{b: b}
	// Operands are evaluated left to right, in the order Encode wrote them.
	s := &State{
		Visitor: r.next(), N: int32(r.next()), Start: r.next(), End: r.next(),
		Events: int32(r.next()), Views: int32(r.next()),
		Carts: int32(r.next()), Transactions: int32(r.next()),
	}
	for _, set := range []*[]int64{&s.Viewed, &s.Carted, &s.Purchased} {
		n := r.next()
		if n < 0 || n > int64(len(r.b)) {
			return nil, errCorrupt
		}
		if n > 0 {
			*set = make([]int64, n)
			for i := range *set {
				(*set)[i] = r.next()
			}
		}
	}
	if r.bad || len(r.b) != 0 || s.N <= 0 {
		return nil, errCorrupt
	}
	return s, nil
}

type varints struct {
	b   []byte
	bad bool
}

func (r *varints) next() int64 {
	v, n := protowire.ConsumeVarint(r.b)
	if n < 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return int64(v)
}
