package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clickstream/clickstream/sql/db"
	"github.com/clickstream/clickstream/sql/migrations"
	"github.com/clickstream/clickstream/sql/pgtest"
)

func TestIntegrationApplyAndQuery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	n, err := migrations.Apply(ctx, pool)
	if err != nil {
		t.Fatalf("first Apply: %v", err)
	}
	if n != len(all) {
		t.Fatalf("first Apply ran %d migrations, want %d", n, len(all))
	}
	if n, err := migrations.Apply(ctx, pool); err != nil || n != 0 {
		t.Fatalf("second Apply = %d, %v; want 0, nil", n, err)
	}

	const insert = `INSERT INTO events (visitor_id, event_time, event_type, item_id)
		VALUES (1, to_timestamp(1433221332), 'view', 7)
		ON CONFLICT DO NOTHING`
	for range 2 {
		if _, err := pool.Exec(ctx, insert); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	got, err := db.New(pool).CountEvents(ctx)
	if err != nil {
		t.Fatalf("CountEvents: %v", err)
	}
	if got != 1 {
		t.Fatalf("CountEvents = %d after inserting one event twice, want 1", got)
	}
}

func TestAllOrdered(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i := 1; i < len(all); i++ {
		if all[i].Version <= all[i-1].Version {
			t.Fatalf("migration %s does not follow %s", all[i].Name, all[i-1].Name)
		}
	}
}
