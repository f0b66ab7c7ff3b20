package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/clickstream/clickstream/services/platform/testenv"
)

// ServeTLS turns TLS on in the server named by PG_URL with the given
// certificate and key, until the test ends. The files are copied into the
// server's data directory, owned by the server's user, so the test must run
// as that user or as root. The server keeps accepting plain connections.
//
// TLS settings are server-wide: tests that call ServeTLS must not run in
// parallel with each other.
func ServeTLS(t testing.TB, certFile, keyFile string) {
	t.Helper()
	base := testenv.Lookup(t, "PG_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)

	var dataDir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		t.Fatalf("data directory: %v", err)
	}
	info, err := os.Stat(dataDir)
	if err != nil {
		testenv.Unavailable(t, "PostgreSQL's data directory %s is not reachable from the test: %v", dataDir, err)
	}
	owner := info.Sys().(*syscall.Stat_t)
	dir := filepath.Join(dataDir, fmt.Sprintf("test-tls-%d", time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o700); err != nil {
		testenv.Unavailable(t, "cannot write into PostgreSQL's data directory: %v", err)
	}
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	for _, f := range [][2]string{{certFile, cert}, {keyFile, key}} {
		b, err := os.ReadFile(f[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f[1], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{dir, cert, key} {
		if err := os.Lchown(p, int(owner.Uid), int(owner.Gid)); err != nil {
			t.Fatalf("chown %s to the server's user: %v", p, err)
		}
	}

	set := func(ctx context.Context, conn *pgx.Conn, stmts ...string) error {
		for _, s := range stmts {
			if _, err := conn.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		_, err := conn.Exec(ctx, "SELECT pg_reload_conf()")
		return err
	}
	// The files are removed only after TLS is off again, so that a test
	// killed midway never leaves a server that cannot restart.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("turn TLS off: %v", err)
			return
		}
		defer c.Close(ctx)
		if err := set(ctx, c, "ALTER SYSTEM RESET ssl", "ALTER SYSTEM RESET ssl_cert_file", "ALTER SYSTEM RESET ssl_key_file"); err != nil {
			t.Errorf("turn TLS off: %v", err)
			return
		}
		os.RemoveAll(dir)
	})
	if err := set(ctx, conn,
		fmt.Sprintf("ALTER SYSTEM SET ssl_cert_file = '%s'", cert),
		fmt.Sprintf("ALTER SYSTEM SET ssl_key_file = '%s'", key),
		"ALTER SYSTEM SET ssl = on"); err != nil {
		t.Fatalf("turn TLS on: %v", err)
	}
	// The postmaster reloads asynchronously: wait until new sessions see it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		var on string
		err = c.QueryRow(ctx, "SHOW ssl").Scan(&on)
		c.Close(ctx)
		if err == nil && on == "on" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssl is still %q after the reload (%v); see the server log", on, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
