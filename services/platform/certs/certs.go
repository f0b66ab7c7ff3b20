// Package certs turns the PEM files named by settings into TLS client
// configurations, the way managed services hand them out: a CA certificate
// to verify the server and, for mutual TLS, a client certificate and key.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/clickstream/clickstream/services/platform/config"
)

// Files names the settings that hold a CA file and a client certificate and
// key. Empty names are not read.
type Files struct {
	CA   string // e.g. KAFKA_CA_FILE
	Cert string // e.g. KAFKA_CERT_FILE
	Key  string // e.g. KAFKA_KEY_FILE
}

// Client reads the files named by f and returns a TLS client configuration,
// or nil when none is set and force is false. With force and no files, the
// configuration verifies the server with the system's roots. A CA file that
// cannot be read or parsed is recorded on env under the variable's name, and
// the client certificate and key are read by [config.Env.KeyPair].
func Client(env *config.Env, f Files, force bool) *tls.Config {
	var ca, cert, key string
	if f.CA != "" {
		ca = env.String(f.CA, "")
	}
	if f.Cert != "" {
		cert = env.String(f.Cert, "")
	}
	if f.Key != "" {
		key = env.String(f.Key, "")
	}
	if ca == "" && cert == "" && key == "" && !force {
		return nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pool, err := Pool(ca)
		if err != nil {
			env.Fail(f.CA, "%v", err)
		}
		c.RootCAs = pool
	}
	if pair := env.KeyPair(f.Cert, f.Key); pair != nil {
		c.Certificates = []tls.Certificate{*pair}
	}
	return c
}

// Pool reads a PEM file of one or more CA certificates.
func Pool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
