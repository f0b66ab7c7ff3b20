package main

import (
	"strings"
	"testing"

	"github.com/clickstream/clickstream/services/platform/serve/servetest"
)

func TestMain(m *testing.M) { servetest.Main(m, main) }

func TestIntegrationLifecycle(t *testing.T) {
	s := newStack(t)
	servetest.CheckLifecycle(t, "search-sink", "KAFKA_BROKERS="+strings.Join(s.brokers, ","), "KAFKA_TOPIC="+s.topic,
		"KAFKA_DLQ_TOPIC="+s.dlq, "SEARCHSINK_GROUP="+s.group, "SEARCHSINK_INDEX="+s.index, "OPENSEARCH_URL="+s.osURL)
}

func TestBadSettingsStopAtStart(t *testing.T) {
	out, err := servetest.Exit(t, "KAFKA_BROKERS=127.0.0.1:1", "OPENSEARCH_URL=ftp://x", "SEARCHSINK_BULK_DOCS=0")
	if err == nil {
		t.Fatalf("search-sink started with bad settings:\n%s", out)
	}
	for _, name := range []string{"OPENSEARCH_URL", "SEARCHSINK_BULK_DOCS"} {
		if !strings.Contains(out, name) {
			t.Errorf("output does not name %s:\n%s", name, out)
		}
	}
}
