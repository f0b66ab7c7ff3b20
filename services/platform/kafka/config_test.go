package kafka

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/config"
)

func TestReadConfigSecurity(t *testing.T) {
	ca := certstest.NewCA(t, "unit")
	client := ca.Client(t, "unit-client")
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"KAFKA_BROKERS": "127.0.0.1:9092"}
	tests := []struct {
		name     string
		vars     map[string]string
		errs     []string // each must appear in the error; none means valid
		tls      bool
		sasl     string
		clientCA bool
	}{
		{name: "plaintext", vars: nil},
		{name: "tls with system roots", vars: map[string]string{"KAFKA_TLS": "true"}, tls: true},
		{name: "client certificate", vars: map[string]string{
			"KAFKA_CA_FILE": ca.CertFile, "KAFKA_CERT_FILE": client.CertFile, "KAFKA_KEY_FILE": client.KeyFile,
		}, tls: true, clientCA: true},
		{name: "scram turns tls on", vars: map[string]string{
			"KAFKA_SASL_MECHANISM": "scram-sha-512", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
		}, tls: true, sasl: "SCRAM-SHA-512"},
		{name: "sasl over plaintext when asked", vars: map[string]string{
			"KAFKA_TLS": "false", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
		}, sasl: "PLAIN"},
		{name: "certificate without key", vars: map[string]string{"KAFKA_CERT_FILE": client.CertFile},
			errs: []string{"KAFKA_KEY_FILE: is required with KAFKA_CERT_FILE"}},
		{name: "key without certificate", vars: map[string]string{"KAFKA_KEY_FILE": client.KeyFile},
			errs: []string{"KAFKA_CERT_FILE: is required with KAFKA_KEY_FILE"}},
		{name: "missing CA file", vars: map[string]string{"KAFKA_CA_FILE": "/nonexistent/ca.pem"},
			errs: []string{"KAFKA_CA_FILE: open /nonexistent/ca.pem"}},
		{name: "CA file without PEM", vars: map[string]string{"KAFKA_CA_FILE": notPEM},
			errs: []string{"KAFKA_CA_FILE: " + notPEM + " holds no PEM certificate"}},
		{name: "key of another certificate", vars: map[string]string{
			"KAFKA_CERT_FILE": client.CertFile, "KAFKA_KEY_FILE": ca.Client(t, "other").KeyFile,
		}, errs: []string{"KAFKA_KEY_FILE: ", "is not the private key of the certificate in KAFKA_CERT_FILE"}},
		{name: "files with tls off", vars: map[string]string{"KAFKA_TLS": "false", "KAFKA_CA_FILE": ca.CertFile},
			errs: []string{"KAFKA_TLS: is false"}},
		{name: "unknown mechanism", vars: map[string]string{
			"KAFKA_SASL_MECHANISM": "GSSAPI", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
		}, errs: []string{`KAFKA_SASL_MECHANISM: "GSSAPI" is not one of`}},
		{name: "mechanism without credentials", vars: map[string]string{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-256"},
			errs: []string{"KAFKA_SASL_USERNAME: is required", "KAFKA_SASL_PASSWORD: is required"}},
		{name: "credentials without mechanism", vars: map[string]string{
			"KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "topsecret",
		}, errs: []string{"KAFKA_SASL_MECHANISM: is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tc.vars {
				vars[k] = v
			}
			env := config.NewEnv(func(k string) string { return vars[k] })
			c := ReadConfig(env)
			err := env.Err()
			if len(tc.errs) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, want := range tc.errs {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "topsecret") {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (c.TLS != nil) != tc.tls {
				t.Errorf("TLS = %v, want %v", c.TLS != nil, tc.tls)
			}
			if tc.clientCA && (c.TLS.RootCAs == nil || len(c.TLS.Certificates) != 1) {
				t.Errorf("TLS lacks the CA or the client certificate")
			}
			got := ""
			if c.SASL != nil {
				got = c.SASL.Name()
			}
			if got != tc.sasl {
				t.Errorf("SASL = %q, want %q", got, tc.sasl)
			}
		})
	}
}
