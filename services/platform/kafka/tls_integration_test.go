package kafka

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/testenv"
)

// secureBroker is a broker of its own, started from the local install's jars,
// with a listener for each way a managed Kafka is reached.
type secureBroker struct {
	plain   string // PLAINTEXT, for setup
	mtls    string // SSL with client certificates required
	saslSSL string // SASL_SSL with SCRAM-SHA-256 and SCRAM-SHA-512
	ca      *certstest.CA
	client  certstest.Pair
}

const (
	scramUser = "clickstream-test"
	scramPass = "s3cret-scram-pass"
)

// TestIntegrationSecureListeners starts a broker with TLS and SASL/SCRAM
// listeners signed by a CA the test makes, and reaches it through ReadConfig
// exactly as a service does: with the right settings a record goes round
// trip, with a missing client certificate, a foreign CA or a wrong password
// the client fails.
func TestIntegrationSecureListeners(t *testing.T) {
	b := startSecureBroker(t)
	topic := fmt.Sprintf("test-secure-%d", time.Now().UnixNano())
	{
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := NewClient(ctx, Config{Brokers: []string{b.plain}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := EnsureTopic(ctx, admin, TopicSpec{Name: topic, Partitions: 1, Replication: 1}); err != nil {
			t.Fatal(err)
		}
		admin.Close()
	}
	foreign := certstest.NewCA(t, "foreign")

	ok := []struct {
		name string
		env  map[string]string
	}{
		{"client certificate", map[string]string{
			"KAFKA_BROKERS": b.mtls, "KAFKA_CA_FILE": b.ca.CertFile,
			"KAFKA_CERT_FILE": b.client.CertFile, "KAFKA_KEY_FILE": b.client.KeyFile,
		}},
		{"scram-sha-256", map[string]string{
			"KAFKA_BROKERS": b.saslSSL, "KAFKA_CA_FILE": b.ca.CertFile,
			"KAFKA_SASL_MECHANISM": "SCRAM-SHA-256", "KAFKA_SASL_USERNAME": scramUser, "KAFKA_SASL_PASSWORD": scramPass,
		}},
		{"scram-sha-512", map[string]string{
			"KAFKA_BROKERS": b.saslSSL, "KAFKA_CA_FILE": b.ca.CertFile,
			"KAFKA_SASL_MECHANISM": "scram-sha-512", "KAFKA_SASL_USERNAME": scramUser, "KAFKA_SASL_PASSWORD": scramPass,
		}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			cfg := readTestConfig(t, tc.env)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			value := []byte("over " + tc.name)
			prod, err := NewClient(ctx, cfg, nil, kgo.DefaultProduceTopic(topic))
			if err != nil {
				t.Fatal(err)
			}
			defer prod.Close()
			if err := prod.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			cons, err := NewClient(ctx, cfg, nil, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			if err != nil {
				t.Fatal(err)
			}
			defer cons.Close()
			for {
				fs := cons.PollFetches(ctx)
				if err := fs.Err0(); err != nil {
					t.Fatalf("consume: %v", err)
				}
				found := false
				fs.EachRecord(func(r *kgo.Record) { found = found || bytes.Equal(r.Value, value) })
				if found {
					return
				}
			}
		})
	}

	refused := []struct {
		name string
		env  map[string]string
		want string // in the error
	}{
		{"no client certificate", map[string]string{
			"KAFKA_BROKERS": b.mtls, "KAFKA_CA_FILE": b.ca.CertFile,
		}, "bad certificate"},
		{"foreign CA", map[string]string{
			"KAFKA_BROKERS": b.mtls, "KAFKA_CA_FILE": foreign.CertFile,
			"KAFKA_CERT_FILE": b.client.CertFile, "KAFKA_KEY_FILE": b.client.KeyFile,
		}, "certificate"},
		{"wrong password", map[string]string{
			"KAFKA_BROKERS": b.saslSSL, "KAFKA_CA_FILE": b.ca.CertFile,
			"KAFKA_SASL_MECHANISM": "SCRAM-SHA-256", "KAFKA_SASL_USERNAME": scramUser, "KAFKA_SASL_PASSWORD": "not-it",
		}, "SASL_AUTHENTICATION_FAILED"},
		{"plaintext to a TLS listener", map[string]string{
			"KAFKA_BROKERS": b.saslSSL,
		}, "tls"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			cfg := readTestConfig(t, tc.env)
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
			defer cancel()
			cl, err := NewClient(ctx, cfg, nil)
			if err == nil {
				cl.Close()
				t.Fatal("the broker accepted the client")
			}
			t.Logf("refused: %v", err)
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "not-it") {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

func readTestConfig(t *testing.T, vars map[string]string) Config {
	t.Helper()
	env := config.NewEnv(func(k string) string { return vars[k] })
	cfg := ReadConfig(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startSecureBroker(t *testing.T) *secureBroker {
	t.Helper()
	libs := filepath.Join(testenv.LocalDir(), "kafka", "libs")
	if _, err := os.Stat(filepath.Join(libs, ".stamp")); err != nil {
		testenv.Unavailable(t, "no Kafka jars in %s: run make up", libs)
	}
	java := javaBin()
	if java == "" {
		testenv.Unavailable(t, "no Java 17 found")
	}

	dir := t.TempDir()
	ca := certstest.NewCA(t, "kafka-test")
	server := ca.Server(t, "broker", "127.0.0.1", "localhost")
	b := &secureBroker{ca: ca, client: ca.Client(t, "clickstream-client")}
	var controller string
	for _, p := range []*string{&b.plain, &b.mtls, &b.saslSSL, &controller} {
		*p = freeAddr(t)
	}
	scram := "org.apache.kafka.common.security.scram.ScramLoginModule required;"
	props := strings.Join([]string{
		"process.roles=broker,controller",
		"node.id=1",
		"controller.quorum.voters=1@" + controller,
		fmt.Sprintf("listeners=PLAINTEXT://%s,SSL://%s,SASL_SSL://%s,CONTROLLER://%s", b.plain, b.mtls, b.saslSSL, controller),
		fmt.Sprintf("advertised.listeners=PLAINTEXT://%s,SSL://%s,SASL_SSL://%s", b.plain, b.mtls, b.saslSSL),
		"controller.listener.names=CONTROLLER",
		"inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL",
		"log.dirs=" + filepath.Join(dir, "data"),
		"offsets.topic.replication.factor=1",
		"offsets.topic.num.partitions=1",
		"transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1",
		"share.coordinator.state.topic.replication.factor=1",
		"share.coordinator.state.topic.min.isr=1",
		"group.initial.rebalance.delay.ms=0",
		"auto.create.topics.enable=false",
		"log.retention.ms=-1",
		"ssl.keystore.type=PEM",
		"ssl.keystore.location=" + server.BundleFile,
		"ssl.truststore.type=PEM",
		"ssl.truststore.location=" + ca.CertFile,
		"listener.name.ssl.ssl.client.auth=required",
		"sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512",
		"listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=" + scram,
		"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=" + scram,
	}, "\n") + "\n"
	propsFile := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(propsFile, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}

	classpath := filepath.Join(libs, "*")
	id := make([]byte, 16)
	rand.Read(id)
	format := exec.Command(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath,
		"kafka.tools.StorageTool", "format", "-t", base64.RawURLEncoding.EncodeToString(id), "-c", propsFile,
		"--add-scram", fmt.Sprintf("SCRAM-SHA-256=[name=%s,password=%s]", scramUser, scramPass),
		"--add-scram", fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", scramUser, scramPass))
	if out, err := format.CombinedOutput(); err != nil {
		t.Fatalf("format storage: %v\n%s", err, out)
	}

	logs := filepath.Join(dir, "logs")
	stdout, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	cmd := exec.Command(java, "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
		"-Dkafka.logs.dir="+logs,
		"-Dlog4j2.configurationFile="+filepath.Join(testenv.Root(), "scripts", "local", "kafka", "log4j2.properties"),
		"-cp", classpath, "kafka.Kafka", propsFile)
	cmd.Stdout, cmd.Stderr = stdout, stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})

	deadline := time.Now().Add(120 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		cl, err := NewClient(ctx, Config{Brokers: []string{b.plain}}, nil)
		cancel()
		if err == nil {
			cl.Close()
			return b
		}
		select {
		case werr := <-exited:
			exited <- werr
			tail, _ := os.ReadFile(filepath.Join(logs, "server.log"))
			out, _ := os.ReadFile(stdout.Name())
			t.Fatalf("broker exited: %v\n%s\n%s", werr, lastLines(tail, 30), lastLines(out, 30))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker not ready after 120s: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func javaBin() string {
	for _, home := range []string{os.Getenv("CLICKSTREAM_JAVA_HOME"), "/usr/lib/jvm/java-17-openjdk-amd64"} {
		if home == "" {
			continue
		}
		if p := filepath.Join(home, "bin", "java"); fileExists(p) {
			return p
		}
	}
	matches, _ := filepath.Glob("/usr/lib/jvm/java-17-openjdk-*/bin/java")
	if len(matches) > 0 {
		return matches[0]
	}
	if p, err := exec.LookPath("java"); err == nil {
		return p
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
