package cache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/pg-sink/internal/session"
	"github.com/clickstream/clickstream/services/platform/testenv"
)

func TestIntegrationStoreNeverMovesBackwards(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, err := Dial(ctx, testenv.Lookup(t, "VALKEY_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	store := New(client, fmt.Sprintf("test:%d:", time.Now().UnixNano()), time.Minute)
	const topic, part = "events", 3

	mark, entries, err := store.Load(ctx, topic, part, []int64{1, 2})
	if err != nil || mark != (Mark{}) || len(entries) != 0 {
		t.Fatalf("empty Load = %+v, %v, %v", mark, entries, err)
	}

	v1 := &session.State{Visitor: 1, N: 1, Start: 10, End: 20, Events: 2, Views: 2, Viewed: []int64{5, 6}}
	v2 := &session.State{Visitor: 2, N: 3, Start: 10, End: 10, Events: 1, Carts: 1, Carted: []int64{9}}
	if err := store.Save(ctx, topic, part, Mark{Gen: 2, Offset: 100}, []*session.State{v1, v2}, nil); err != nil {
		t.Fatal(err)
	}
	older := v1.Clone()
	older.Events = 1
	if err := store.Save(ctx, topic, part, Mark{Gen: 1, Offset: 500}, []*session.State{older}, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, topic, part, Mark{Gen: 2, Offset: 90}, []*session.State{older}, nil); err != nil {
		t.Fatal(err)
	}

	mark, entries, err = store.Load(ctx, topic, part, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if mark != (Mark{Gen: 2, Offset: 100}) {
		t.Fatalf("marker = %+v, want {2 100}: an older write moved it", mark)
	}
	if len(entries) != 2 || entries[1].State.Events != 2 || entries[1].Gen != 2 || entries[2].State.N != 3 {
		t.Fatalf("entries = %+v, want the generation-2 states", entries)
	}

	newer := v1.Clone()
	newer.Events = 3
	if err := store.Save(ctx, topic, part, Mark{Gen: 3, Offset: 0}, []*session.State{newer}, []int64{2}); err != nil {
		t.Fatal(err)
	}
	mark, entries, _ = store.Load(ctx, topic, part, []int64{1, 2})
	if mark != (Mark{Gen: 3, Offset: 0}) || entries[1].State.Events != 3 {
		t.Fatalf("after a generation bump: marker %+v, entry %+v", mark, entries[1])
	}
	if _, ok := entries[2]; ok {
		t.Fatalf("visitor 2 was deleted as closed, still cached: %+v", entries[2])
	}
}
