package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/oracle"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/pgtest"
)

// TestIntegrationOperatorDay runs the operator's day through the CLI on the
// real servers, with the real service binaries from bin/ (make build): the
// services and the sinks start, a replay runs, the analytics equal one
// clean batch pass over the file, the status shows no lag, and a reset
// leaves every store empty. Every name is the test's own (topic, groups,
// schema, Valkey prefix, index, service addresses), but the sink replicas
// listen on their fixed local ports: no other local replicas may run.
func TestIntegrationOperatorDay(t *testing.T) {
	root := testenv.Root()
	bin := filepath.Join(root, "bin")
	if _, err := os.Stat(filepath.Join(bin, "pg-sink")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("service binaries missing in %s: run make build", bin)
		}
		t.Skipf("service binaries missing in %s: run make build", bin)
	}
	brokers := testenv.Lookup(t, "KAFKA_BROKERS")
	name := fmt.Sprintf("test-day-%d", time.Now().UnixNano())
	for k, v := range map[string]string{
		"PATH":                        bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"CLICKSTREAM_LOCAL_DIR":       t.TempDir(),
		"KAFKA_BROKERS":               brokers,
		"KAFKA_TOPIC":                 name,
		"KAFKA_DLQ_TOPIC":             name + "-dlq",
		"PGSINK_GROUP":                name,
		"SEARCHSINK_GROUP":            name + "-search",
		"SEARCHSINK_INDEX":            "clickstream-events-" + name,
		"VALKEY_PREFIX":               name + ":",
		"VALKEY_URL":                  testenv.Lookup(t, "VALKEY_URL"),
		"OPENSEARCH_URL":              testenv.Lookup(t, "OPENSEARCH_URL"),
		"OPENSEARCH_ENABLED":          "false",
		"PG_URL":                      pgtest.Schema(t),
		"PRODUCER_ADDR":               freeAddr(t),
		"ANALYTICS_ADDR":              freeAddr(t),
		"HTTP_ADDR":                   "127.0.0.1:0",
		"KAFKA_GROUP_SESSION_TIMEOUT": "6s",
	} {
		t.Setenv(k, v)
	}
	t.Cleanup(func() {
		cli(t, "local", "down")
		if cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...)); err == nil {
			kadm.NewClient(cl).DeleteTopics(context.Background(), name, name+"-dlq")
			cl.Close()
		}
	})

	file := filepath.Join(root, "data", "sample.csv")
	cli(t, "data", "reset", "-y")
	cli(t, "local", "up")
	cli(t, "consumer", "start", "--replicas", "2")
	var replay struct{ Sent int64 }
	decode(t, cli(t, "producer", "start", "--file", file, "--wait", "--json"), &replay)
	if replay.Sent != 10_000 {
		t.Fatalf("replay sent %d events, want 10000", replay.Sent)
	}
	cli(t, "consumer", "wait", "--timeout", "2m")

	want, err := oracle.FromFile(file, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	end := want.NewestStart().Add(time.Microsecond)
	var got map[string]funnelJSON
	decode(t, cli(t, "analytics", "--json"), &got)
	for key, from := range map[string]time.Time{
		"all_time": {}, "last_day": end.Add(-24 * time.Hour), "last_month": end.Add(-30 * 24 * time.Hour),
	} {
		to := end
		if key == "all_time" {
			to = time.Time{}
		}
		o, g := want.Funnel(from, to), got[key]
		if g.Sessions != o.Sessions || g.CartSessions != o.CartSessions || g.PurchaseSessions != o.PurchaseSessions ||
			g.Purchases != o.Purchases || !closeTo(g.ConversionRate, o.ConversionRate) ||
			!closeTo(g.CartAbandonment, o.CartAbandonment) || !closeTo(g.AvgItemsPerPurchase, o.AvgItemsPerPurchase) {
			t.Fatalf("analytics %s = %+v, one clean pass %+v", key, g, o)
		}
	}

	var st dayStatus
	decode(t, cli(t, "status", "--json"), &st)
	for _, g := range st.Groups {
		if g.Name == name && g.TotalLag != 0 {
			t.Fatalf("pg-sink group lags by %d after consumer wait", g.TotalLag)
		}
	}

	cli(t, "data", "reset", "-y")
	decode(t, cli(t, "status", "--json"), &st)
	for _, s := range st.Stores {
		for what, n := range s.Counts {
			if what != "partitions" && n != 0 {
				t.Errorf("after data reset %s holds %d %s", s.Name, n, what)
			}
		}
	}
}

// dayStatus is the part of status --json the test reads.
type dayStatus struct {
	Stores []struct {
		Name   string           `json:"name"`
		Counts map[string]int64 `json:"counts"`
	}
	Groups []struct {
		Name     string `json:"name"`
		TotalLag int64  `json:"total_lag"`
	}
}

func closeTo(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// cli runs the command line in-process and fails the test on a non-zero
// exit. Services it starts inherit the test's environment.
func cli(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if code := Run(ctx, append([]string{"--env-file", "/nonexistent"}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("clickstream %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
