package main

import (
	"testing"

	"github.com/clickstream/clickstream/services/platform/serve/servetest"
)

func TestMain(m *testing.M) { servetest.Main(m, main) }

func TestLifecycle(t *testing.T) { servetest.CheckLifecycle(t, "analytics") }
