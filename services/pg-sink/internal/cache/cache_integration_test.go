package cache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/testenv"
)

func TestIntegrationSetGetTTL(t *testing.T) {
	url := testenv.Lookup(t, "VALKEY_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	client, err := Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	key := fmt.Sprintf("test:ttl:%d", time.Now().UnixNano())
	set := client.B().Set().Key(key).Value("open").Px(1500 * time.Millisecond).Build()
	if err := client.Do(ctx, set).Error(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	got, err := client.Do(ctx, client.B().Get().Key(key).Build()).ToString()
	if err != nil || got != "open" {
		t.Fatalf("GET = %q, %v; want open", got, err)
	}
	ttl, err := client.Do(ctx, client.B().Pttl().Key(key).Build()).AsInt64()
	if err != nil || ttl <= 0 || ttl > 1500 {
		t.Fatalf("PTTL = %d, %v; want in (0, 1500]", ttl, err)
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := client.Do(ctx, client.B().Exists().Key(key).Build()).AsInt64()
		if err != nil {
			t.Fatalf("EXISTS: %v", err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("key still exists 5s after a 1.5s TTL")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDialBadURL(t *testing.T) {
	if _, err := Dial(context.Background(), "http://nope"); err == nil {
		t.Fatal("Dial(http://nope) succeeded, want a URL error")
	}
}
