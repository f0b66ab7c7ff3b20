package rpc

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
)

func TestWantsFresh(t *testing.T) {
	for _, tc := range []struct {
		md   metadata.MD
		want bool
	}{
		{nil, false},
		{metadata.Pairs("cache-control", "no-cache"), true},
		{metadata.Pairs("Cache-Control", " No-Cache "), true},
		{metadata.Pairs("cache-control", "max-age=5"), false},
		{metadata.Pairs("pragma", "no-cache"), false},
	} {
		ctx := context.Background()
		if tc.md != nil {
			ctx = metadata.NewIncomingContext(ctx, tc.md)
		}
		if got := WantsFresh(ctx); got != tc.want {
			t.Errorf("WantsFresh(%v) = %v, want %v", tc.md, got, tc.want)
		}
	}
}
