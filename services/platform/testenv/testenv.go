// Package testenv finds the real servers that integration tests run against.
//
// The addresses come from the environment (KAFKA_BROKERS, PG_URL, VALKEY_URL,
// OPENSEARCH_URL), or from the .env file that `make up` writes at the root of
// the workspace. Without them a test skips on a developer's machine and fails
// when CI=true, so that CI can never pass by skipping.
package testenv

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/clickstream/clickstream/services/platform/config"
)

// Lookup returns the endpoint held by the variable name, or ends the test.
func Lookup(t testing.TB, name string) string {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		return v
	}
	if v := dotenv()[name]; v != "" {
		return v
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: integration tests need the local servers (make up)", name)
	}
	t.Skipf("%s is not set; run make up to start the local servers", name)
	return ""
}

// Unavailable ends a test that lacks something it needs: it skips on a
// developer's machine and fails when CI=true.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// LocalDir returns the folder that holds the local servers' installs and
// data: CLICKSTREAM_LOCAL_DIR, else .local at the workspace root.
func LocalDir() string {
	if d := os.Getenv("CLICKSTREAM_LOCAL_DIR"); d != "" {
		return d
	}
	if root := Root(); root != "" {
		return filepath.Join(root, ".local")
	}
	return ""
}

// Root returns the workspace root (the directory holding go.work), or "" when
// the test runs outside the workspace.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

var dotenv = sync.OnceValue(func() map[string]string {
	root := Root()
	if root == "" {
		return nil
	}
	vars, _ := config.ReadDotEnv(filepath.Join(root, ".env"))
	return vars
})
