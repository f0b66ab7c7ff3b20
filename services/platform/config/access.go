package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"time"
)

// MinTokenLen is the shortest bearer token [Env.Token] accepts.
const MinTokenLen = 16

// Token returns the variable as a bearer token, or "" when unset. A token
// must be at least [MinTokenLen] characters of visible ASCII without
// spaces, so that it can travel in a gRPC metadata value; the message for a
// bad one never shows the value.
func (e *Env) Token(name string) Secret {
	v := e.lookup(name)
	if v == "" {
		return ""
	}
	ok := len(v) >= MinTokenLen
	for i := 0; i < len(v) && ok; i++ {
		ok = v[i] > ' ' && v[i] <= '~'
	}
	if !ok {
		e.Fail(name, "must be at least %d characters of visible ASCII without spaces "+
			"(make one with: openssl rand -hex 32)", MinTokenLen)
		return ""
	}
	return Secret(v)
}

// KeyPair reads the certificate and private key files named by the
// variables certName and keyName, both or neither, and returns the pair, or
// nil when neither is set. A file that cannot be read or parsed, a key that
// does not match the certificate and a certificate outside its validity are
// recorded under the variable's name.
func (e *Env) KeyPair(certName, keyName string) *tls.Certificate {
	certFile, keyFile := e.lookup(certName), e.lookup(keyName)
	switch {
	case certFile == "" && keyFile == "":
		return nil
	case keyFile == "":
		e.Fail(keyName, "is required with %s", certName)
		return nil
	case certFile == "":
		e.Fail(certName, "is required with %s", keyName)
		return nil
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		e.Fail(certName, "%v", err)
	}
	keyPEM, kerr := os.ReadFile(keyFile)
	if kerr != nil {
		e.Fail(keyName, "%v", kerr)
	}
	if err != nil || kerr != nil {
		return nil
	}
	if !hasCertificate(certPEM) {
		e.Fail(certName, "%s holds no PEM certificate", certFile)
		return nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		e.Fail(keyName, "%s is not the private key of the certificate in %s: %v", keyFile, certName, err)
		return nil
	}
	if now := time.Now(); now.Before(pair.Leaf.NotBefore) || now.After(pair.Leaf.NotAfter) {
		e.Fail(certName, "the certificate in %s is valid from %s to %s, not now", certFile,
			pair.Leaf.NotBefore.UTC().Format(time.RFC3339), pair.Leaf.NotAfter.UTC().Format(time.RFC3339))
		return nil
	}
	return &pair
}

// hasCertificate reports whether data holds a PEM block with a certificate
// that parses.
func hasCertificate(data []byte) bool {
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(block.Bytes)
			return err == nil
		}
	}
}

// IsLoopback reports whether the host:port address is on the loopback
// interface only: localhost or a loopback IP. An empty host, 0.0.0.0, ::,
// any other IP and any other host name are not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
