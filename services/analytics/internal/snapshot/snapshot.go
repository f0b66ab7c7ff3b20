// Package snapshot shares the answers of expensive queries among callers.
// An answer is reused while the data it was computed from is unchanged
// and, with a maximum age, for that long after it was computed even while
// the data moves on. Callers that miss at the same time share one
// computation.
package snapshot

import (
	"context"
	"sync"
	"time"
)

// maxEntries bounds the answers kept; past it, answers that can no longer
// be served are dropped, and if that is not enough, all of them.
const maxEntries = 1024

// computeTimeout bounds a shared computation, which runs on after the
// caller that started it has gone, so that its answer serves the others.
const computeTimeout = 2 * time.Minute

// Cache holds answers of type V by key K.
type Cache[K comparable, V any] struct {
	maxAge time.Duration

	mu      sync.Mutex
	entries map[K]entry[V]
	calls   map[K]*call[V]
}

type entry[V any] struct {
	value   V
	version string
	at      time.Time // when its computation started
}

type call[V any] struct {
	version string
	done    chan struct{}
	value   V
	err     error
}

// New returns a cache that serves an answer of another data version for
// maxAge after its computation started; with maxAge 0 every answer is of
// the caller's data version.
func New[K comparable, V any](maxAge time.Duration) *Cache[K, V] {
	return &Cache[K, V]{maxAge: maxAge, entries: make(map[K]entry[V]), calls: make(map[K]*call[V])}
}

// Get returns the answer for key when the data is at version: a kept
// answer of that version or, within the maximum age, of any version;
// otherwise the answer of a computation already running for key (of that
// version, or of any within the maximum age), or of compute, run once for
// every caller that waits on it. Errors are not kept.
func (c *Cache[K, V]) Get(ctx context.Context, key K, version string, compute func(context.Context) (V, error)) (V, error) {
	return c.get(ctx, key, version, c.maxAge, compute)
}

// GetExact is Get without the maximum age: the answer is of version, kept
// or computed, and shared only with callers at that version.
func (c *Cache[K, V]) GetExact(ctx context.Context, key K, version string, compute func(context.Context) (V, error)) (V, error) {
	return c.get(ctx, key, version, 0, compute)
}

func (c *Cache[K, V]) get(ctx context.Context, key K, version string, maxAge time.Duration, compute func(context.Context) (V, error)) (V, error) {
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && serves(maxAge, e.version, e.at, version, now) {
		c.mu.Unlock()
		return e.value, nil
	}
	cl, ok := c.calls[key]
	if !ok || !(cl.version == version || maxAge > 0) {
		cl = &call[V]{version: version, done: make(chan struct{})}
		c.calls[key] = cl
		go c.run(ctx, key, cl, now, compute)
	}
	c.mu.Unlock()

	select {
	case <-cl.done:
		return cl.value, cl.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

func serves(maxAge time.Duration, have string, at time.Time, want string, now time.Time) bool {
	return have == want || (maxAge > 0 && now.Sub(at) < maxAge)
}

func (c *Cache[K, V]) run(ctx context.Context, key K, cl *call[V], start time.Time, compute func(context.Context) (V, error)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), computeTimeout)
	defer cancel()
	cl.value, cl.err = compute(ctx)

	c.mu.Lock()
	if cl.err == nil {
		if old, ok := c.entries[key]; !ok || !old.at.After(start) {
			c.entries[key] = entry[V]{value: cl.value, version: cl.version, at: start}
		}
		c.prune(cl.version, time.Now())
	}
	if c.calls[key] == cl {
		delete(c.calls, key)
	}
	c.mu.Unlock()
	close(cl.done)
}

// prune keeps the entries bounded. Called with c.mu held.
func (c *Cache[K, V]) prune(version string, now time.Time) {
	if len(c.entries) <= maxEntries {
		return
	}
	for k, e := range c.entries {
		if !serves(c.maxAge, e.version, e.at, version, now) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) > maxEntries {
		clear(c.entries)
	}
}
