package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/clickstream/clickstream/services/pg-sink/internal/cache"
)

// valkeyConn reaches Valkey at start, or later, in the background.
type valkeyConn struct {
	url, prefix string
	ttl         time.Duration
	log         *slog.Logger

	mu     sync.Mutex
	client valkey.Client
}

// dial returns a store, or nil when Valkey does not answer now.
func (v *valkeyConn) dial(ctx context.Context) *cache.Store {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	client, err := cache.Dial(ctx, v.url)
	if err != nil {
		v.log.Warn("valkey unreachable; starting without the cache", "err", err)
		return nil
	}
	v.mu.Lock()
	v.client = client
	v.mu.Unlock()
	return cache.New(client, v.prefix, v.ttl)
}

// redial tries again with backoff until it reaches Valkey or ctx ends.
func (v *valkeyConn) redial(ctx context.Context, use func(*cache.Store)) {
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if store := v.dial(ctx); store != nil {
			v.log.Info("valkey reached")
			use(store)
			return
		}
	}
}

func (v *valkeyConn) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.client != nil {
		v.client.Close()
	}
}
