package deploy

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// binaries are the build targets, each named for its binary and module
// folder under services/.
var binaries = []string{"producer", "pg-sink", "search-sink", "analytics", "clickstream"}

// serverSettings are what every service needs in a container: the listen
// addresses, whose defaults are loopback (serve.Spec in each main.go); the
// token that config.Env.Server requires for a gRPC address beyond loopback;
// and the certificate the token travels under.
var serverSettings = []string{"GRPC_ADDR", "HTTP_ADDR", "GRPC_TOKEN", "GRPC_TLS_CERT_FILE", "GRPC_TLS_KEY_FILE"}

// required lists, per binary, the variables it cannot do without under
// Compose. Kept by hand from each services/<binary>/settings.go: what the
// code fails without (KAFKA_BROKERS in kafka.ReadConfig; the URLs read with
// required set; OPENSEARCH_URL in the search-sink's index.ReadConfig), the
// addresses of other services, whose defaults are loopback, and, for the
// callers of gRPC, the CA that grpcclient needs to send GRPC_TOKEN beyond
// loopback. The CLI reads PG_URL and VALKEY_URL for status and data reset.
// The test checks that the code still reads each name.
var required = map[string][]string{
	"producer":    append([]string{"KAFKA_BROKERS"}, serverSettings...),
	"pg-sink":     append([]string{"KAFKA_BROKERS", "PG_URL", "VALKEY_URL"}, serverSettings...),
	"search-sink": append([]string{"KAFKA_BROKERS", "OPENSEARCH_URL"}, serverSettings...),
	"analytics":   append([]string{"KAFKA_BROKERS", "PG_URL", "PRODUCER_ADDR", "GRPC_TLS_CA_FILE"}, serverSettings...),
	"clickstream": {"KAFKA_BROKERS", "PRODUCER_ADDR", "ANALYTICS_ADDR", "PG_URL", "VALKEY_URL", "GRPC_TOKEN", "GRPC_TLS_CA_FILE"},
}

const modulePath = "github.com/clickstream/clickstream/"

var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)

var (
	namesMu sync.Mutex
	names   = map[string]map[string]bool{}
)

// readNames returns the names of the variables the binary's code can read:
// every string literal shaped like one (KAFKA_BROKERS) in the non-test Go
// files of its main package and of every package of this repository it
// imports, directly or not.
func readNames(root, binary string) (map[string]bool, error) {
	namesMu.Lock()
	defer namesMu.Unlock()
	if n, ok := names[binary]; ok {
		return n, nil
	}
	found := map[string]bool{}
	seen := map[string]bool{}
	queue := []string{filepath.Join(root, "services", binary)}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi os.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, 0)
		if err != nil {
			return nil, err
		}
		for _, pkg := range pkgs {
			ast.Inspect(pkg, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ImportSpec:
					path, _ := strconv.Unquote(n.Path.Value)
					if rel, ok := strings.CutPrefix(path, modulePath); ok {
						queue = append(queue, filepath.Join(root, filepath.FromSlash(rel)))
					}
					return false
				case *ast.BasicLit:
					if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && envName.MatchString(s) {
						found[s] = true
					}
				}
				return true
			})
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no settings found in the code of %s", binary)
	}
	names[binary] = found
	return found, nil
}

// mustReadNames is [readNames] for a binary that must exist.
func mustReadNames(t *testing.T, root, binary string) map[string]bool {
	t.Helper()
	n, err := readNames(root, binary)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkSettings checks the environment of every service built from the
// repository against its binary's code: everything required is set, nothing
// is set that the code does not read, listen addresses are every interface,
// other addresses name services of the project (on the port they listen
// on), and files lie on a volume of the service.
func checkSettings(p *types.Project, root string) []string {
	all := p.AllServices()
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if s.Build == nil {
			continue
		}
		binary := s.Build.Target
		read, err := readNames(root, binary)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: build target %s: %v", name, binary, err))
			continue
		}
		for _, v := range required[binary] {
			if !read[v] {
				out = append(out, fmt.Sprintf("%s: the test requires %s, which %s no longer reads: update the list", name, v, binary))
			}
			if env(s, v) == "" {
				out = append(out, fmt.Sprintf("%s: %s is required by %s", name, v, binary))
			}
		}
		for _, v := range slices.Sorted(maps.Keys(s.Environment)) {
			if !read[v] {
				out = append(out, fmt.Sprintf("%s: %s is not read by %s (services/%s)", name, v, binary, binary))
				continue
			}
			if problem := checkValue(all, s, v, env(s, v)); problem != "" {
				out = append(out, fmt.Sprintf("%s: %s %s", name, v, problem))
			}
		}
	}
	return out
}

// checkValue checks one setting's value by the shape its name gives it.
func checkValue(all types.Services, s types.ServiceConfig, name, value string) string {
	switch {
	case name == "GRPC_ADDR" || name == "HTTP_ADDR":
		host, _ := hostPort(value)
		if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
			return fmt.Sprintf("%q: a container must listen on 0.0.0.0", value)
		}
	case name == "KAFKA_BROKERS" || strings.HasSuffix(name, "_ADDR") || strings.HasSuffix(name, "_ADDRS"):
		for _, item := range strings.Split(value, ",") {
			if _, addr, ok := strings.Cut(item, "="); ok {
				item = addr
			}
			if problem := checkPeer(all, item); problem != "" {
				return problem
			}
		}
	case strings.HasSuffix(name, "_URL"):
		u, err := url.Parse(value)
		if err != nil || u.Host == "" {
			return fmt.Sprintf("%q is not an absolute URL", value)
		}
		if _, ok := all[u.Hostname()]; !ok {
			return fmt.Sprintf("points at %q, which is no service of the project", u.Hostname())
		}
	case strings.HasSuffix(name, "_FILE"):
		if !path.IsAbs(value) {
			value = path.Join(s.WorkingDir, value)
		}
		if !slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
			return strings.HasPrefix(value, strings.TrimSuffix(v.Target, "/")+"/")
		}) {
			return fmt.Sprintf("%s lies on no volume of the service", value)
		}
	}
	return ""
}

// checkPeer checks a host:port that a service dials: the host is a service
// of the project, and when that service is one of ours, the port is the one
// its gRPC listens on.
func checkPeer(all types.Services, addr string) string {
	host, port := hostPort(addr)
	peer, ok := all[host]
	if !ok {
		return fmt.Sprintf("points at %q, which is no service of the project", host)
	}
	if listen := env(peer, "GRPC_ADDR"); listen != "" {
		if _, want := hostPort(listen); port != want {
			return fmt.Sprintf("%q: %s listens for gRPC on port %s", addr, host, want)
		}
	}
	return ""
}

func hostPort(addr string) (host, port string) {
	host, port, err := net.SplitHostPort(strings.TrimSpace(addr))
	if err != nil {
		return addr, ""
	}
	return host, port
}

// shared are the variables compose.yaml interpolates that the binaries read
// too: one value for every service and the CLI, from .env or the shell.
var shared = []string{"GRPC_TOKEN", "KAFKA_PARTITIONS", "LOG_LEVEL", "SESSION_TIMEOUT"}

// TestComposeInterpolatesOnlyTunables guards against the local servers' .env,
// which Compose reads too: its KAFKA_BROKERS=127.0.0.1:19092, PG_URL and the
// rest must never reach a container, whose addresses are fixed in the file.
func TestComposeInterpolatesOnlyTunables(t *testing.T) {
	root := repoRoot(t)
	seen := map[string]bool{}
	if _, err := load(root, nil, map[string]string{}, func(n string) { seen[n] = true }, "*"); err != nil {
		t.Fatal(err)
	}
	docs, err := os.ReadFile(filepath.Join(root, "docs", "compose.md"))
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	for _, b := range binaries {
		maps.Copy(read, mustReadNames(t, root, b))
	}
	for _, n := range slices.Sorted(maps.Keys(seen)) {
		if !strings.Contains(string(docs), "`"+n+"`") {
			t.Errorf("compose.yaml interpolates %s, which docs/compose.md does not list", n)
		}
		if read[n] && !slices.Contains(shared, n) {
			t.Errorf("compose.yaml interpolates %s, a setting the services read: fix its value in the file", n)
		}
	}

	// Every setting the binaries read, as a .env could set it; the shared
	// ones with values that must arrive.
	fromEnv := map[string]string{
		"GRPC_TOKEN": "token-from-the-environment", "KAFKA_PARTITIONS": "12",
		"LOG_LEVEL": "debug", "SESSION_TIMEOUT": "45m",
	}
	poison := maps.Clone(fromEnv)
	for n := range read {
		if _, ok := poison[n]; !ok {
			poison[n] = "poison-" + n
		}
	}
	p, err := load(root, nil, poison, nil, "*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
			v := env(s, k)
			if strings.Contains(v, "poison-") {
				t.Errorf("%s: %s = %q comes from the environment", name, k, v)
			}
		}
		if cmd := strings.Join(s.Command, " "); strings.Contains(cmd, "poison-") {
			t.Errorf("%s: its command takes a setting from the environment: %s", name, cmd)
		}
		for _, k := range shared {
			if _, ok := s.Environment[k]; ok && env(s, k) != fromEnv[k] {
				t.Errorf("%s: %s = %q, want %q from the environment", name, k, env(s, k), fromEnv[k])
			}
		}
	}
	// The partition count reaches the topic and the producer alike.
	if !slices.ContainsFunc(commands(p.Services["topics"]), func(c string) bool {
		return strings.Contains(c, "--create --if-not-exists --topic clickstream-events --partitions 12 ")
	}) {
		t.Errorf("topics does not create clickstream-events with KAFKA_PARTITIONS partitions: %q", commands(p.Services["topics"]))
	}
	if got := env(p.Services["producer"], "KAFKA_PARTITIONS"); got != "12" {
		t.Errorf("producer: KAFKA_PARTITIONS = %q, want 12", got)
	}
}

// commands returns the shell commands of a service's script, one a line,
// with continued lines joined and spaces collapsed.
func commands(s types.ServiceConfig) []string {
	script := strings.ReplaceAll(strings.Join(s.Command, "\n"), "\\\n", " ")
	var out []string
	for _, line := range strings.Split(script, "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			out = append(out, line+" ")
		}
	}
	return out
}

// TestTopicsMatchTheServices: the one-shot creates the topics the services
// use, without time-based retention.
func TestTopicsMatchTheServices(t *testing.T) {
	p := loadAll(t)
	cmds := commands(p.Services["topics"])
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		for _, v := range []string{"KAFKA_TOPIC", "KAFKA_DLQ_TOPIC"} {
			topic := env(p.Services[name], v)
			if topic == "" {
				continue
			}
			if !slices.ContainsFunc(cmds, func(c string) bool {
				return strings.Contains(c, "--create --if-not-exists --topic "+topic+" ") &&
					strings.Contains(c, " --config retention.ms=-1 ")
			}) {
				t.Errorf("%s: %s %s is not created by topics with retention.ms=-1: %q", name, v, topic, cmds)
			}
		}
	}
}
