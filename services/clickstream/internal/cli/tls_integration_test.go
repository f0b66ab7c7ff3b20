package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/pgtest"
)

// TestIntegrationCLIOverTLS runs the real analytics binary from bin/ with a
// token and a certificate from a CA the test makes, and asks it for the
// funnel through the CLI: with the token and the CA it answers; without
// the CA the CLI does not trust it, and without the token it refuses.
func TestIntegrationCLIOverTLS(t *testing.T) {
	bin := filepath.Join(testenv.Root(), "bin")
	if _, err := os.Stat(filepath.Join(bin, "analytics")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("service binaries missing in %s: run make build", bin)
		}
		t.Skipf("service binaries missing in %s: run make build", bin)
	}
	const token = "tls-test-token-8a7b6c5d4e3f"
	ca := certstest.NewCA(t, "cli-tls")
	pair := ca.Server(t, "analytics", "127.0.0.1", "localhost")
	var logs transcript
	p := startBinary(t, &logs, bin, "analytics", map[string]string{
		"PG_URL":               pgtest.Pool(t).Config().ConnString(), // migrated
		"KAFKA_BROKERS":        testenv.Lookup(t, "KAFKA_BROKERS"),
		"STATUS_SINK_REPLICAS": "0",
		"PRODUCER_ADDR":        "127.0.0.1:1",
		"HTTP_ADDR":            "127.0.0.1:0",
		"GRPC_ADDR":            "127.0.0.1:0",
		"GRPC_TOKEN":           token,
		"GRPC_TLS_CERT_FILE":   pair.CertFile,
		"GRPC_TLS_KEY_FILE":    pair.KeyFile,
	})
	defer p.stop(t)
	if !strings.Contains(p.out.String(), `"tls":true`) {
		t.Fatalf("analytics did not start with TLS:\n%s", p.out.String())
	}

	clearSettings(t)
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:1")
	t.Setenv("ANALYTICS_ADDR", p.grpcAddr)
	for _, tc := range []struct {
		name, token, ca string
		want            int
		wantErr         string
	}{
		{"token and CA", token, ca.CertFile, 0, ""},
		{"no CA", token, "", 1, "is not reachable"},
		{"no token", "", ca.CertFile, 1, "missing bearer token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GRPC_TOKEN", tc.token)
			t.Setenv("GRPC_TLS_CA_FILE", tc.ca)
			out := logs.cli(t, tc.want, "analytics", "--json")
			if tc.want == 0 && !strings.Contains(out, `"all_time"`) {
				t.Errorf("analytics --json = %q, want the funnel", out)
			}
			if !strings.Contains(out, tc.wantErr) {
				t.Errorf("analytics --json = %q, want %q", out, tc.wantErr)
			}
		})
	}
}
