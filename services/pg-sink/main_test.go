package main

import (
	"strings"
	"testing"

	"github.com/clickstream/clickstream/services/platform/serve/servetest"
)

func TestMain(m *testing.M) { servetest.Main(m, main) }

func TestIntegrationLifecycle(t *testing.T) {
	s := newStack(t)
	servetest.CheckLifecycle(t, "pg-sink", "KAFKA_BROKERS="+strings.Join(s.brokers, ","), "KAFKA_TOPIC="+s.topic,
		"KAFKA_DLQ_TOPIC="+s.dlq, "PGSINK_GROUP="+s.group+"-2", "PG_URL="+s.pgURL,
		"VALKEY_URL="+s.valkeyURL, "VALKEY_PREFIX="+s.prefix)
}

func TestBadSettingsStopAtStart(t *testing.T) {
	out, err := servetest.Exit(t, "KAFKA_BROKERS=127.0.0.1:1", "PG_URL=mysql://x", "SESSION_TIMEOUT=soon")
	if err == nil {
		t.Fatalf("pg-sink started with bad settings:\n%s", out)
	}
	for _, name := range []string{"PG_URL", "VALKEY_URL", "SESSION_TIMEOUT"} {
		if !strings.Contains(out, name) {
			t.Errorf("output does not name %s:\n%s", name, out)
		}
	}
}
