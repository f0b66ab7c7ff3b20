package main

import (
	"strings"
	"testing"

	"github.com/clickstream/clickstream/services/platform/serve/servetest"
	"github.com/clickstream/clickstream/services/platform/testenv"
)

func TestMain(m *testing.M) { servetest.Main(m, main) }

func TestLifecycle(t *testing.T) {
	brokers := testenv.Lookup(t, "KAFKA_BROKERS")
	servetest.CheckLifecycle(t, "producer", "KAFKA_BROKERS="+brokers)
}

func TestBadSettingsStopAtStart(t *testing.T) {
	out, err := servetest.Exit(t, "KAFKA_BROKERS=", "KAFKA_PARTITIONS=0", "KAFKA_COMPRESSION=brotli")
	if err == nil {
		t.Fatalf("producer started with bad settings:\n%s", out)
	}
	for _, name := range []string{"KAFKA_BROKERS", "KAFKA_PARTITIONS", "KAFKA_COMPRESSION"} {
		if !strings.Contains(out, name) {
			t.Errorf("output does not name %s:\n%s", name, out)
		}
	}
}
