package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/certs/certstest"
)

func TestIsLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:50051", true},
		{"127.8.9.10:1", true},
		{"[::1]:50051", true},
		{"localhost:50051", true},
		{"0.0.0.0:50051", false},
		{"[::]:50051", false},
		{":50051", false},
		{"10.0.0.7:50051", false},
		{"producer:50051", false},
		{"localhost.example.com:50051", false},
		{"no port", false},
	} {
		if got := IsLoopback(tc.addr); got != tc.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

func TestServerNeedsTokenBeyondLoopback(t *testing.T) {
	const token = "0123456789abcdef0123"
	for _, tc := range []struct {
		name, addr, token string
		wantErr           bool
	}{
		{"loopback without token", "127.0.0.1:50051", "", false},
		{"localhost without token", "localhost:50051", "", false},
		{"all interfaces without token", "0.0.0.0:50051", "", true},
		{"all IPv6 interfaces without token", "[::]:50051", "", true},
		{"empty host without token", ":50051", "", true},
		{"other IP without token", "10.1.2.3:50051", "", true},
		{"host name without token", "producer:50051", "", true},
		{"all interfaces with token", "0.0.0.0:50051", token, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := envOf(map[string]string{"GRPC_ADDR": tc.addr, "GRPC_TOKEN": tc.token})
			s := env.Server("127.0.0.1:1", "127.0.0.1:2")
			err := env.Err()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Server(GRPC_ADDR=%q, token %v) error = %v, want error %v",
					tc.addr, tc.token != "", err, tc.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), "GRPC_ADDR") || !strings.Contains(err.Error(), "GRPC_TOKEN")) {
				t.Errorf("error %q does not name GRPC_ADDR and GRPC_TOKEN", err)
			}
			if s.Token.Reveal() != tc.token {
				t.Errorf("Token = %q, want %q", s.Token.Reveal(), tc.token)
			}
		})
	}
}

func TestTokenRules(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"unset", "", true},
		{"hex", "4f1c2a9e0b7d3c5a6e8f9a0b1c2d3e4f", true},
		{"too short", "abc123", false},
		{"inner space", "0123456789 abcdef0123", false},
		{"not ASCII", "0123456789abcdéf0123", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := envOf(map[string]string{"GRPC_TOKEN": tc.value})
			got := env.Token("GRPC_TOKEN")
			err := env.Err()
			if (err == nil) != tc.ok {
				t.Fatalf("Token(%q) error = %v, want ok %v", tc.value, err, tc.ok)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "GRPC_TOKEN") {
					t.Errorf("error %q does not name GRPC_TOKEN", err)
				}
				if strings.Contains(err.Error(), tc.value) {
					t.Errorf("error %q shows the value", err)
				}
				if got != "" {
					t.Errorf("Token = %q after an error, want empty", got.Reveal())
				}
			}
		})
	}
}

func TestKeyPair(t *testing.T) {
	ca := certstest.NewCA(t, "grpc")
	good := ca.Server(t, "good", "127.0.0.1")
	other := ca.Server(t, "other", "127.0.0.1")
	expired := expiredPair(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct {
		name, cert, key string
		wantVar         string // the variable the error names; "" for none
	}{
		{"neither", "", "", ""},
		{"both", good.CertFile, good.KeyFile, ""},
		{"cert without key", good.CertFile, "", "GRPC_TLS_KEY_FILE"},
		{"key without cert", "", good.KeyFile, "GRPC_TLS_CERT_FILE"},
		{"cert file missing", missing, good.KeyFile, "GRPC_TLS_CERT_FILE"},
		{"key file missing", good.CertFile, missing, "GRPC_TLS_KEY_FILE"},
		{"key in the cert's place", good.KeyFile, good.KeyFile, "GRPC_TLS_CERT_FILE"},
		{"another certificate's key", good.CertFile, other.KeyFile, "GRPC_TLS_KEY_FILE"},
		{"expired", expired[0], expired[1], "GRPC_TLS_CERT_FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := envOf(map[string]string{"GRPC_TLS_CERT_FILE": tc.cert, "GRPC_TLS_KEY_FILE": tc.key})
			pair := env.KeyPair("GRPC_TLS_CERT_FILE", "GRPC_TLS_KEY_FILE")
			err := env.Err()
			if tc.wantVar == "" {
				if err != nil {
					t.Fatalf("KeyPair error = %v, want none", err)
				}
				if (pair != nil) != (tc.cert != "") {
					t.Fatalf("KeyPair = %v, want a pair %v", pair, tc.cert != "")
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantVar+":") {
				t.Fatalf("KeyPair error = %v, want one about %s", err, tc.wantVar)
			}
			if pair != nil {
				t.Errorf("KeyPair returned a pair with error %v", err)
			}
		})
	}
}

// expiredPair writes a self-signed certificate that expired an hour ago and
// its key, and returns their paths.
func expiredPair(t *testing.T) [2]string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "expired"},
		NotBefore:    time.Now().Add(-48 * time.Hour),
		NotAfter:     time.Now().Add(-time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths := [2]string{filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")}
	for i, b := range []*pem.Block{{Type: "CERTIFICATE", Bytes: der}, {Type: "PRIVATE KEY", Bytes: pkcs8}} {
		if err := os.WriteFile(paths[i], pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

func TestFailRecordsAProblemOnce(t *testing.T) {
	env := envOf(map[string]string{"GRPC_TOKEN": "short"})
	env.Token("GRPC_TOKEN")
	env.Token("GRPC_TOKEN")
	env.Fail("OTHER", "is wrong")
	if got := strings.Count(env.Err().Error(), "GRPC_TOKEN:"); got != 1 {
		t.Errorf("GRPC_TOKEN reported %d times, want once:\n%v", got, env.Err())
	}
	if !strings.Contains(env.Err().Error(), "OTHER: is wrong") {
		t.Errorf("Err = %v, want the other problem too", env.Err())
	}
}
