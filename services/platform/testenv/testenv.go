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
