package snapshot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestExactWithoutMaxAge(t *testing.T) {
	c := New[string, int](0)
	var runs atomic.Int64
	compute := func(context.Context) (int, error) { return int(runs.Add(1)), nil }
	ctx := context.Background()
	for _, tc := range []struct {
		version string
		want    int
	}{{"v1", 1}, {"v1", 1}, {"v2", 2}, {"v2", 2}, {"v1", 3}} {
		got, err := c.Get(ctx, "k", tc.version, compute)
		if err != nil || got != tc.want {
			t.Fatalf("Get(%s) = %d, %v; want %d", tc.version, got, err, tc.want)
		}
	}
	if got, _ := c.Get(ctx, "other", "v1", compute); got != 4 {
		t.Fatalf("another key shared an answer: %d", got)
	}
}

func TestMaxAgeServesOtherVersions(t *testing.T) {
	c := New[string, int](150 * time.Millisecond)
	var runs atomic.Int64
	compute := func(context.Context) (int, error) { return int(runs.Add(1)), nil }
	ctx := context.Background()
	if got, _ := c.Get(ctx, "k", "v1", compute); got != 1 {
		t.Fatal(got)
	}
	if got, _ := c.Get(ctx, "k", "v2", compute); got != 1 {
		t.Fatalf("within the maximum age: got %d, want the kept 1", got)
	}
	time.Sleep(200 * time.Millisecond)
	if got, _ := c.Get(ctx, "k", "v1", compute); got != 1 {
		t.Fatalf("same version after the maximum age: got %d, want the kept 1", got)
	}
	if got, _ := c.Get(ctx, "k", "v3", compute); got != 2 {
		t.Fatalf("other version after the maximum age: got %d, want a new 2", got)
	}
}

func TestConcurrentCallersShareOneComputation(t *testing.T) {
	c := New[string, int](0)
	var runs atomic.Int64
	release := make(chan struct{})
	compute := func(context.Context) (int, error) {
		runs.Add(1)
		<-release
		return 42, nil
	}
	var wg sync.WaitGroup
	results := make([]int, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = c.Get(context.Background(), "k", "v1", compute)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("%d computations for 20 callers of one version", n)
	}
	for i, r := range results {
		if r != 42 {
			t.Fatalf("caller %d got %d", i, r)
		}
	}
}

func TestErrorsAreNotKept(t *testing.T) {
	c := New[string, int](time.Hour)
	boom := errors.New("boom")
	if _, err := c.Get(context.Background(), "k", "v1", func(context.Context) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	got, err := c.Get(context.Background(), "k", "v1", func(context.Context) (int, error) { return 7, nil })
	if err != nil || got != 7 {
		t.Fatalf("after an error: %d, %v", got, err)
	}
}

func TestWaiterLeavesWithItsContext(t *testing.T) {
	c := New[string, int](0)
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, "k", "v1", func(context.Context) (int, error) { <-release; return 1, nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
}

func TestEntriesStayBounded(t *testing.T) {
	c := New[int, int](0)
	for i := range 3 * maxEntries {
		if _, err := c.Get(context.Background(), i, "v", func(context.Context) (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	if n > maxEntries+1 {
		t.Fatalf("%d entries kept, bound %d", n, maxEntries)
	}
}

func TestGetExactIgnoresTheMaximumAge(t *testing.T) {
	c := New[string, int](time.Hour)
	var runs atomic.Int64
	compute := func(context.Context) (int, error) { return int(runs.Add(1)), nil }
	ctx := context.Background()
	c.Get(ctx, "k", "v1", compute)
	if got, _ := c.Get(ctx, "k", "v2", compute); got != 1 {
		t.Fatalf("Get within the maximum age: %d, want the kept 1", got)
	}
	if got, _ := c.GetExact(ctx, "k", "v2", compute); got != 2 {
		t.Fatalf("GetExact at another version: %d, want a new 2", got)
	}
	if got, _ := c.GetExact(ctx, "k", "v2", compute); got != 2 {
		t.Fatalf("GetExact at the kept version: %d, want the kept 2", got)
	}
}
