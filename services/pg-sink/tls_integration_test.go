package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/sql/pgtest"
)

// TestIntegrationPostgresVerifyFull turns TLS on in the local server with a
// certificate from a CA the test makes, then opens the sink's pool the way a
// deployment on a managed PostgreSQL does: sslmode=verify-full with the CA.
// A foreign CA and a host name the certificate does not name are refused.
func TestIntegrationPostgresVerifyFull(t *testing.T) {
	ca := certstest.NewCA(t, "pg-test")
	server := ca.Server(t, "pg-server", "127.0.0.1")
	foreign := certstest.NewCA(t, "pg-foreign")
	schemaURL := pgtest.Schema(t)
	pgtest.ServeTLS(t, server.CertFile, server.KeyFile)

	withTLS := func(mode, rootCert, host string) string {
		u, err := url.Parse(schemaURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("sslmode", mode)
		q.Set("sslrootcert", rootCert)
		u.RawQuery = q.Encode()
		if host != "" {
			u.Host = host + ":" + u.Port()
		}
		return u.String()
	}
	open := func(rawURL string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pool, err := openPostgres(ctx, settings{PGURL: config.Secret(rawURL), PGConns: 2})
		if err != nil {
			return err
		}
		defer pool.Close()
		var ssl bool
		if err := pool.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil {
			t.Fatal(err)
		}
		if !ssl {
			t.Errorf("connection of %s is not encrypted", rawURL)
		}
		var tables int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables == 0 {
			t.Errorf("migrations created no table over TLS")
		}
		return nil
	}

	if err := open(withTLS("verify-full", ca.CertFile, "")); err != nil {
		t.Fatalf("verify-full with the server's CA: %v", err)
	}
	// localhost is not among the certificate's names, 127.0.0.1 is.
	if err := open(withTLS("verify-ca", ca.CertFile, "localhost")); err != nil {
		t.Fatalf("verify-ca by another name: %v", err)
	}
	for _, tc := range []struct {
		name, url, want string
	}{
		{"foreign CA", withTLS("verify-full", foreign.CertFile, ""), "certificate signed by unknown authority"},
		{"name not in the certificate", withTLS("verify-full", ca.CertFile, "localhost"), "wanted to match localhost"},
	} {
		err := open(tc.url)
		if err == nil {
			t.Errorf("%s: connected", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.want)
		}
		if strings.Contains(err.Error(), ":clickstream@") {
			t.Errorf("%s: error shows the password: %v", tc.name, err)
		}
	}
}
