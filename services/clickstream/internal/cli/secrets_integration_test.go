package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/grpcclient"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/pgtest"
)

// TestIntegrationSecretsNeverLogged runs the real service binaries from bin/
// (make build) and the CLI at LOG_LEVEL=debug with every secret set: a
// PostgreSQL role and a Valkey user with passwords the servers check, and
// an OpenSearch password, a gRPC token and a Kafka SASL password that they
// do not. It goes through a normal start, a replay, status, analytics, a
// reset and config show; calls with wrong tokens; and starts that fail on
// bad settings, a wrong password and unreachable stores. No line that any
// of them prints may hold a secret, raw or escaped.
func TestIntegrationSecretsNeverLogged(t *testing.T) {
	bin := filepath.Join(testenv.Root(), "bin")
	if _, err := os.Stat(filepath.Join(bin, "analytics")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("service binaries missing in %s: run make build", bin)
		}
		t.Skipf("service binaries missing in %s: run make build", bin)
	}
	s := newSecrets(t)
	name := fmt.Sprintf("test-secrets-%d", time.Now().UnixNano())
	brokers := testenv.Lookup(t, "KAFKA_BROKERS")
	pgURL := s.postgresRole(t)
	valkeyURL := withPassword(t, testenv.Lookup(t, "VALKEY_URL"), "default", s.valkey)
	env := map[string]string{
		"LOG_LEVEL":                   "debug",
		"KAFKA_BROKERS":               brokers,
		"KAFKA_TOPIC":                 name,
		"KAFKA_DLQ_TOPIC":             name + "-dlq",
		"KAFKA_PARTITIONS":            "2",
		"KAFKA_GROUP_SESSION_TIMEOUT": "6s",
		"PGSINK_GROUP":                name,
		"SEARCHSINK_GROUP":            name + "-search",
		"SEARCHSINK_INDEX":            "clickstream-events-" + name,
		"VALKEY_PREFIX":               name + ":",
		"PG_URL":                      pgURL,
		"VALKEY_URL":                  valkeyURL,
		"OPENSEARCH_URL":              testenv.Lookup(t, "OPENSEARCH_URL"),
		"OPENSEARCH_USER":             "clickstream-test",
		"OPENSEARCH_PASSWORD":         s.openSearch,
		"GRPC_TOKEN":                  s.token,
		"STATUS_SINK_REPLICAS":        "0",
		"HTTP_ADDR":                   "127.0.0.1:0",
	}
	t.Cleanup(func() { dropTestData(brokers, env) })
	var logs transcript

	// A normal start of every service, and the CLI's commands against them.
	producer := startBinary(t, &logs, bin, "producer", env, "GRPC_ADDR="+freeAddr(t))
	pgSink := startBinary(t, &logs, bin, "pg-sink", env, "GRPC_ADDR=127.0.0.1:0")
	searchSink := startBinary(t, &logs, bin, "search-sink", env, "GRPC_ADDR=127.0.0.1:0")
	analytics := startBinary(t, &logs, bin, "analytics", env, "GRPC_ADDR="+freeAddr(t),
		"PRODUCER_ADDR="+producer.grpcAddr)
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("PRODUCER_ADDR", producer.grpcAddr)
	t.Setenv("ANALYTICS_ADDR", analytics.grpcAddr)
	t.Setenv("CLICKSTREAM_LOCAL_DIR", t.TempDir())

	sample := filepath.Join(testenv.Root(), "data", "sample.csv")
	var replay struct{ Sent int64 }
	decode(t, []byte(logs.cli(t, 0, "producer", "start", "--file", sample, "--limit", "2000", "--wait", "--json")), &replay)
	if replay.Sent != 2000 {
		t.Fatalf("replay sent %d events, want 2000", replay.Sent)
	}
	logs.cli(t, 0, "consumer", "wait", "--timeout", "2m")
	var st struct {
		Stores []struct {
			Name      string `json:"name"`
			Reachable bool   `json:"reachable"`
			Error     string `json:"error"`
		} `json:"stores"`
	}
	decode(t, []byte(logs.cli(t, 0, "status", "--json")), &st)
	checked := 0
	for _, store := range st.Stores {
		if store.Name == "postgresql" || store.Name == "valkey" { // the servers that check a password
			checked++
			if !store.Reachable {
				t.Errorf("status: %s not reachable with the test's password: %s", store.Name, store.Error)
			}
		}
	}
	if checked != 2 {
		t.Errorf("status reports %d of postgresql and valkey, want both", checked)
	}
	logs.cli(t, 0, "analytics", "--json")
	show := logs.cli(t, 0, "config", "show")
	logs.cli(t, 0, "config", "show", "--json")
	if !strings.Contains(show, "GRPC_TOKEN") || !strings.Contains(show, "****") {
		t.Errorf("config show does not list GRPC_TOKEN masked:\n%s", show)
	}

	// Calls with a wrong token and with none.
	t.Setenv("GRPC_TOKEN", s.wrongToken)
	for _, args := range [][]string{{"status"}, {"producer", "stop"}, {"analytics"}} {
		if out := logs.cli(t, 1, args...); !strings.Contains(out, "wrong bearer token") {
			t.Errorf("clickstream %s with a wrong token: %q, want a refusal", strings.Join(args, " "), out)
		}
	}
	conn, err := grpcclient.Config{}.NewClient(producer.grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err = clickstreamv1.NewProducerServiceClient(conn).StopReplay(ctx, &clickstreamv1.StopReplayRequest{})
	cancel()
	conn.Close()
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("StopReplay without a token = %v, want Unauthenticated", err)
	}
	t.Setenv("GRPC_TOKEN", s.token)
	logs.cli(t, 0, "data", "reset", "-y")
	for _, p := range []*binary{analytics, searchSink, pgSink, producer} {
		p.stop(t)
	}

	// Starts that fail: bad settings, a wrong password, unreachable stores.
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badSettings := []string{
		"PG_URL=" + strings.Replace(pgURL, "@", "@[", 1), // does not parse
		"VALKEY_URL=" + strings.Replace(valkeyURL, "redis://", "ftp://", 1),
		"GRPC_TOKEN=" + s.token + " " + s.token, // a space: refused
		"GRPC_ADDR=0.0.0.0:0",
		"GRPC_TLS_CERT_FILE=" + certFile,
		"KAFKA_SASL_MECHANISM=OAUTH", "KAFKA_SASL_USERNAME=clickstream", "KAFKA_SASL_PASSWORD=" + s.sasl,
	}
	for _, svc := range []string{"pg-sink", "analytics", "producer", "search-sink"} {
		out := exitBinary(t, &logs, bin, svc, env, badSettings...)
		for _, want := range []string{"GRPC_TOKEN", "GRPC_TLS_KEY_FILE"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s with bad settings does not name %s:\n%s", svc, want, out)
			}
		}
	}
	out := exitBinary(t, &logs, bin, "pg-sink", env, "PG_URL="+withPassword(t, pgURL, "", s.wrongPG))
	if !strings.Contains(out, "password authentication failed") {
		t.Errorf("pg-sink with a wrong password: want PostgreSQL's refusal in:\n%s", out)
	}
	unreachable := []string{
		"PG_URL=" + withHost(t, pgURL, "127.0.0.1:1"),
		"VALKEY_URL=" + withHost(t, valkeyURL, "127.0.0.1:1"),
		"OPENSEARCH_URL=http://127.0.0.1:1",
	}
	out = exitBinary(t, &logs, bin, "pg-sink", env, unreachable...)
	if !strings.Contains(out, "127.0.0.1:1") {
		t.Errorf("pg-sink with PostgreSQL unreachable does not say where:\n%s", out)
	}
	exitBinary(t, &logs, bin, "search-sink", env, unreachable...)
	p := startBinary(t, &logs, bin, "analytics", env, append(unreachable[1:], "GRPC_ADDR=127.0.0.1:0")...)
	p.stop(t)
	out = exitBinary(t, &logs, bin, "pg-sink", env, "GRPC_ADDR=127.0.0.1:0", "KAFKA_SASL_MECHANISM=PLAIN",
		"KAFKA_SASL_USERNAME=clickstream", "KAFKA_SASL_PASSWORD="+s.sasl, "KAFKA_TLS=false")
	if !strings.Contains(out, "kafka") {
		t.Errorf("pg-sink with SASL against a broker without it does not mention Kafka:\n%s", out)
	}
	vu, err := url.Parse(valkeyURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("VALKEY_URL", withHost(t, valkeyURL, vu.Host+"x")) // a port that is not a number
	if out := logs.cli(t, 1, "data", "reset", "-y"); !strings.Contains(out, "VALKEY_URL") {
		t.Errorf("data reset with a malformed VALKEY_URL does not name it: %q", out)
	}

	logs.check(t, s)
}

// secrets are the test's own values, each with a random part that nothing
// else prints, and characters that a URL escapes.
type secrets struct {
	postgres, wrongPG, valkey, openSearch, token, wrongToken, sasl string
}

func newSecrets(t *testing.T) secrets {
	r := func(prefix, suffix string) string {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return prefix + hex.EncodeToString(b) + suffix
	}
	return secrets{
		postgres:   r("pg-", "/@:%? #x"),
		wrongPG:    r("pgwrong-", "@x"),
		valkey:     r("vk-", "/@:%?#"),
		openSearch: r("os-", "&=+"),
		token:      r("token-", "-grpc"),
		wrongToken: r("wrong-", "-grpc"),
		sasl:       r("sasl-", "@:/"),
	}
}

// forms returns every way a secret could appear in a line: itself, its URL
// escapings, base64, and the random part alone.
func (s secrets) forms() map[string]string {
	out := map[string]string{}
	for _, v := range []string{s.postgres, s.wrongPG, s.valkey, s.openSearch, s.token, s.wrongToken, s.sasl} {
		user := strings.TrimPrefix(url.UserPassword("u", v).String(), "u:")
		for _, f := range []string{v, url.QueryEscape(v), url.PathEscape(v), user,
			base64.StdEncoding.EncodeToString([]byte(v)), randomPart(v)} {
			out[f] = v
		}
	}
	return out
}

// randomPart returns the hex between a secret's prefix and suffix.
func randomPart(v string) string {
	_, rest, _ := strings.Cut(v, "-")
	return rest[:24]
}

// postgresRole creates a login role with the test's password, owning a
// fresh schema, and returns a PG_URL for it on that schema.
func (s secrets) postgresRole(t *testing.T) string {
	t.Helper()
	base := testenv.Lookup(t, "PG_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	role := fmt.Sprintf("t_secrets_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role,
		strings.ReplaceAll(s.postgres, "'", "''"))); err != nil {
		t.Fatalf("create role: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			c.Exec(ctx, "DROP ROLE IF EXISTS "+role)
			c.Close(ctx)
		}
	})
	schemaURL := pgtest.Schema(t) // dropped before the role: cleanups run last first
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER SCHEMA %s OWNER TO %s", schema, role)); err != nil {
		t.Fatalf("alter schema: %v", err)
	}
	u.User = url.UserPassword(role, s.postgres)
	return u.String()
}

// withPassword returns rawURL with the password set, and the user too when
// user is not empty.
func withPassword(t *testing.T, rawURL, user, password string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	if user == "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

func withHost(t *testing.T, rawURL, host string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = host
	return u.String()
}

// transcript is everything the processes and the CLI printed, by source.
type transcript struct {
	mu      sync.Mutex
	sources []*bytes.Buffer
	labels  []string
}

func (tr *transcript) add(label string) *lockedBuffer {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	b := &bytes.Buffer{}
	tr.sources = append(tr.sources, b)
	tr.labels = append(tr.labels, label)
	return &lockedBuffer{mu: &tr.mu, b: b}
}

// cli runs the command line in-process, wants the exit code, and returns
// what it printed on stdout and stderr.
func (tr *transcript) cli(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := Run(ctx, append([]string{"--env-file", "/nonexistent"}, args...), &stdout, &stderr)
	out := stdout.String() + stderr.String()
	tr.add("clickstream " + strings.Join(args, " ")).Write([]byte(out))
	if code != wantCode {
		t.Fatalf("clickstream %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out)
	}
	return out
}

// check fails the test for every line that holds a form of a secret.
func (tr *transcript) check(t *testing.T, s secrets) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	lines := 0
	for i, b := range tr.sources {
		for _, line := range strings.Split(b.String(), "\n") {
			lines++
			for form, secret := range s.forms() {
				if strings.Contains(line, form) {
					t.Errorf("%s printed a secret (%q as %q):\n%s", tr.labels[i], secret, form, line)
				}
			}
		}
	}
	if lines < 100 {
		t.Errorf("only %d lines printed in all: the services did not log at debug level", lines)
	}
	if !t.Failed() {
		t.Logf("%d lines from %d sources hold no secret", lines, len(tr.sources))
	}
}

type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// binary is a service binary running in its own empty directory, so that
// its settings come from env alone.
type binary struct {
	name     string
	cmd      *exec.Cmd
	out      *lockedBuffer
	done     chan struct{}
	grpcAddr string
}

func runBinary(t *testing.T, logs *transcript, bin, name string, env map[string]string, extra ...string) *binary {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, name))
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, extra...)
	var names []string // the label shows which settings changed, not their values
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	label := name + " with " + strings.Join(names, ", ")
	b := &binary{name: name, cmd: cmd, out: logs.add(label), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = b.out, b.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(b.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-b.done
	})
	return b
}

// startBinary runs the service and waits until it logs that it serves.
func startBinary(t *testing.T, logs *transcript, bin, name string, env map[string]string, extra ...string) *binary {
	t.Helper()
	b := runBinary(t, logs, bin, name, env, extra...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(b.out.String()))
		for sc.Scan() {
			var rec struct {
				Msg      string `json:"msg"`
				GRPCAddr string `json:"grpc_addr"`
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving" {
				b.grpcAddr = rec.GRPCAddr
				return b
			}
		}
		select {
		case <-b.done:
			t.Fatalf("%s exited before serving:\n%s", name, b.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%s not serving after 30s:\n%s", name, b.out.String())
	return nil
}

// stop sends SIGTERM and waits for the exit.
func (b *binary) stop(t *testing.T) {
	t.Helper()
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(20 * time.Second):
		t.Errorf("%s still running 20s after SIGTERM", b.name)
		b.cmd.Process.Kill()
		<-b.done
	}
}

// exitBinary runs a service that must fail at start, stops it after 15s if
// it is still trying, and returns what it printed.
func exitBinary(t *testing.T, logs *transcript, bin, name string, env map[string]string, extra ...string) string {
	t.Helper()
	b := runBinary(t, logs, bin, name, env, extra...)
	select {
	case <-b.done:
		if b.cmd.ProcessState.Success() {
			t.Errorf("%s with %v exited cleanly, want a failed start", name, extra)
		}
	case <-time.After(15 * time.Second):
		b.stop(t)
	}
	return b.out.String()
}

// dropTestData deletes the test's topics and index; the schema, the role
// and the Valkey keys go with their own cleanups and data reset.
func dropTestData(brokers string, env map[string]string) {
	if cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...)); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		kadm.NewClient(cl).DeleteTopics(ctx, env["KAFKA_TOPIC"], env["KAFKA_DLQ_TOPIC"])
		cancel()
		cl.Close()
	}
	req, err := http.NewRequest(http.MethodDelete, env["OPENSEARCH_URL"]+"/"+env["SEARCHSINK_INDEX"], nil)
	if err == nil {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}
