package deploy

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/clickstream/clickstream/services/platform/testenv"
)

// Restart policies, which say what kind of service a service is.
const (
	longRunning = "unless-stopped" // a server: needs a health check
	oneShot     = "on-failure"     // runs once, to completion (a limit may follow: on-failure:3)
	tool        = "no"             // run by hand with docker compose run, profile tools only
)

// repoRoot returns the repository root, where compose.yaml lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	root := testenv.Root()
	if root == "" {
		t.Fatal("no go.work above the working directory: run the test inside the repository")
	}
	return root
}

// load loads compose.yaml from the root, or content in its place when not
// nil, with env as the only variables Compose interpolates from, and the
// profiles enabled. lookups, when not nil, receives every variable name
// Compose looked up.
func load(root string, content []byte, env map[string]string, lookups func(string), profiles ...string) (*types.Project, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	details := types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "compose.yaml"), Content: content}},
		Environment: env,
	}
	return loader.LoadWithContext(ctx, details, func(o *loader.Options) {
		o.Profiles = profiles
		if lookups != nil {
			lookup := o.Interpolate.LookupValue
			o.Interpolate.LookupValue = func(name string) (string, bool) {
				lookups(name)
				return lookup(name)
			}
		}
	})
}

var loadOnce = sync.OnceValues(func() (*types.Project, error) {
	return load(testenv.Root(), nil, map[string]string{}, nil, "*")
})

// loadAll returns compose.yaml loaded with every profile and no variables:
// a copy of its own, which the caller may change.
func loadAll(t *testing.T) *types.Project {
	t.Helper()
	repoRoot(t)
	p, err := loadOnce()
	if err != nil {
		t.Fatalf("load compose.yaml: %v", err)
	}
	c, err := p.WithProfiles(p.Profiles)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestComposeLoadsWithEachProfile(t *testing.T) {
	root := repoRoot(t)
	base := []string{"analytics", "certs", "kafka", "pg-sink", "postgres", "producer", "replay", "topics", "valkey"}
	search := []string{"opensearch", "opensearch-dashboards", "search-init", "search-sink"}
	tests := []struct {
		profiles []string
		want     []string
	}{
		{nil, base},
		{[]string{"search"}, append(slices.Clone(base), search...)},
		{[]string{"tools"}, append(slices.Clone(base), "cli")},
		{[]string{"search", "tools"}, append(append(slices.Clone(base), search...), "cli")},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.profiles), func(t *testing.T) {
			p, err := load(root, nil, map[string]string{}, nil, tc.profiles...)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if p.Name != "clickstream" {
				t.Errorf("project name = %q, want clickstream (set in the file, not taken from the folder)", p.Name)
			}
			got := slices.Sorted(maps.Keys(p.Services))
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Errorf("services = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestComposeLoaderRejectsBrokenFile makes sure the load above can fail: the
// loader validates, it does not just parse.
func TestComposeLoaderRejectsBrokenFile(t *testing.T) {
	root := repoRoot(t)
	good, err := os.ReadFile(filepath.Join(root, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, wantErr string
	}{
		{"depends on a service that does not exist",
			"    depends_on:\n      certs:\n", "    depends_on:\n      nowhere:\n        condition: service_healthy\n      certs:\n",
			"nowhere"},
		{"unknown condition",
			"condition: service_completed_successfully", "condition: service_done", "condition value must be one of"},
		{"unknown attribute", "    restart: unless-stopped\n", "    restart: unless-stopped\n    restarts: 3\n", "restarts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			broken := strings.Replace(string(good), tc.old, tc.new, 1)
			if broken == string(good) {
				t.Fatalf("compose.yaml no longer holds %q: update the test", tc.old)
			}
			_, err := load(root, []byte(broken), map[string]string{}, nil, "*")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("load of the broken file = %v, want an error naming %q", err, tc.wantErr)
			}
		})
	}
}

func TestComposeChecks(t *testing.T) {
	p := loadAll(t)
	if problems := check(t, p); len(problems) > 0 {
		t.Fatalf("compose.yaml:\n  %s", strings.Join(problems, "\n  "))
	}
}

// TestComposeChecksCatchBrokenProject changes a loaded project the way a
// careless edit of compose.yaml would, and expects the checks to say so.
func TestComposeChecksCatchBrokenProject(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *types.Project)
		want   string
	}{
		{"unpinned image", setImage("postgres", "postgres:latest"), "postgres: image postgres:latest"},
		{"untagged image", setImage("valkey", "valkey/valkey"), "valkey: image valkey/valkey"},
		{"other major version", setImage("kafka", "apache/kafka:3.9.1"), "want 4."},
		{"container name on a scalable service", change("pg-sink", func(s *types.ServiceConfig) {
			s.ContainerName = "pg-sink"
		}), "pg-sink: container_name"},
		{"published port on a scalable service", change("search-sink", func(s *types.ServiceConfig) {
			s.Ports = []types.ServicePortConfig{{HostIP: "127.0.0.1", Target: 50053, Published: "50053"}}
		}), "search-sink: publishes"},
		{"port on every interface", change("producer", func(s *types.ServiceConfig) {
			s.Ports[0].HostIP = ""
		}), "producer: port 50051 is published on every interface"},
		{"no health check", change("analytics", func(s *types.ServiceConfig) {
			s.HealthCheck = nil
		}), "analytics: long-running without a health check"},
		{"health check of another binary", change("pg-sink", func(s *types.ServiceConfig) {
			s.HealthCheck.Test = types.HealthCheckTest{"CMD", "/usr/local/bin/producer", "healthcheck"}
		}), "pg-sink: health check"},
		{"depends on a start only", change("replay", func(s *types.ServiceConfig) {
			s.DependsOn["producer"] = types.ServiceDependency{Condition: "service_started", Required: true}
		}), "replay: depends on producer with condition service_started"},
		{"waits for a one-shot to be healthy", change("producer", func(s *types.ServiceConfig) {
			s.DependsOn["topics"] = types.ServiceDependency{Condition: "service_healthy", Required: true}
		}), "producer: depends on topics with condition service_healthy"},
		{"restart always", change("postgres", func(s *types.ServiceConfig) {
			s.Restart = "always"
		}), `postgres: restart "always"`},
		{"loopback listen address", setEnv("producer", "GRPC_ADDR", "127.0.0.1:50051"), "producer: GRPC_ADDR"},
		{"address of the local servers", setEnv("pg-sink", "PG_URL",
			"postgres://clickstream:clickstream@127.0.0.1:15432/clickstream?sslmode=disable"),
			`pg-sink: PG_URL points at "127.0.0.1"`},
		{"wrong port", setEnv("cli", "ANALYTICS_ADDR", "analytics:50051"), "cli: ANALYTICS_ADDR"},
		{"missing required setting", setEnv("pg-sink", "VALKEY_URL", ""), "pg-sink: VALKEY_URL is required"},
		{"misspelt setting", setEnv("producer", "KAFKA_BROKER", "kafka:9092"), "producer: KAFKA_BROKER is not read"},
		{"file outside its volumes", change("replay", func(s *types.ServiceConfig) {
			s.Volumes = slices.DeleteFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Target == "/tls" })
		}), "replay: GRPC_TLS_CA_FILE"},
		{"missing build target", change("analytics", func(s *types.ServiceConfig) {
			s.Build.Target = "analytic"
		}), `analytics: Dockerfile has no stage "analytic"`},
		{"missing Dockerfile", change("producer", func(s *types.ServiceConfig) {
			s.Build.Dockerfile = "Dockerfile.producer"
		}), "producer: build"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := loadAll(t)
			tc.change(p)
			problems := check(t, p)
			for _, pr := range problems {
				if strings.Contains(pr, tc.want) {
					return
				}
			}
			t.Fatalf("no problem mentions %q; problems:\n  %s", tc.want, strings.Join(problems, "\n  "))
		})
	}
}

func change(name string, f func(*types.ServiceConfig)) func(*types.Project) {
	return func(p *types.Project) {
		s, ok := p.Services[name]
		if !ok {
			panic("no service " + name)
		}
		f(&s)
		p.Services[name] = s
	}
}

func setImage(name, image string) func(*types.Project) {
	return change(name, func(s *types.ServiceConfig) { s.Image = image })
}

func setEnv(name, key, value string) func(*types.Project) {
	return change(name, func(s *types.ServiceConfig) {
		env := maps.Clone(s.Environment)
		if value == "" {
			delete(env, key)
		} else {
			env[key] = &value
		}
		s.Environment = env
	})
}

// check runs every check over p and returns the problems found, each
// starting with the service's name.
func check(t *testing.T, p *types.Project) []string {
	t.Helper()
	root := repoRoot(t)
	var problems []string
	problems = append(problems, checkKinds(p)...)
	problems = append(problems, checkDependsOn(p)...)
	problems = append(problems, checkPorts(p)...)
	problems = append(problems, checkImages(p, goVersion(t))...)
	problems = append(problems, checkBuilds(p)...)
	problems = append(problems, checkSettings(p, root)...)
	slices.Sort(problems)
	return problems
}

// kind returns a service's kind from its restart policy.
func kind(s types.ServiceConfig) string {
	if s.Restart == oneShot || strings.HasPrefix(s.Restart, oneShot+":") {
		return oneShot
	}
	return s.Restart
}

func healthy(s types.ServiceConfig) bool {
	h := s.HealthCheck
	return h != nil && !h.Disable && len(h.Test) > 1 && h.Test[0] != "NONE"
}

// checkKinds: each service is long-running with a health check, a one-shot,
// or a tool in the profile tools.
func checkKinds(p *types.Project) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		switch kind(s) {
		case longRunning:
			if !healthy(s) {
				out = append(out, name+": long-running without a health check")
			}
		case oneShot:
		case tool:
			if !slices.Equal(s.Profiles, []string{"tools"}) {
				out = append(out, fmt.Sprintf("%s: restart %q is for tools, which belong to the profile tools alone", name, s.Restart))
			}
		default:
			out = append(out, fmt.Sprintf("%s: restart %q: want %s (servers), %s (one-shots) or %s (tools)",
				name, s.Restart, longRunning, oneShot, tool))
		}
	}
	return out
}

// checkDependsOn: every dependency waits for a server to be healthy or a
// one-shot to have succeeded, never only for a container to start.
func checkDependsOn(p *types.Project) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		for _, dep := range slices.Sorted(maps.Keys(p.Services[name].DependsOn)) {
			cond := p.Services[name].DependsOn[dep].Condition
			target, ok := p.Services[dep]
			var want string
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s: depends on %s, which is not defined", name, dep))
				continue
			case kind(target) == longRunning:
				want = types.ServiceConditionHealthy
			case kind(target) == oneShot:
				want = types.ServiceConditionCompletedSuccessfully
			default:
				out = append(out, fmt.Sprintf("%s: depends on %s, a tool", name, dep))
				continue
			}
			if cond != want {
				out = append(out, fmt.Sprintf("%s: depends on %s with condition %s, want %s", name, dep, cond, want))
			}
		}
	}
	return out
}

// scalable are the services that `docker compose up --scale` replicates:
// no container name and no published port may pin them to one copy.
var scalable = []string{"pg-sink", "search-sink"}

// published are the services that publish ports: the two gRPC APIs a user
// calls from the host, and OpenSearch and its Dashboards, to look at.
var published = []string{"analytics", "opensearch", "opensearch-dashboards", "producer"}

func checkPorts(p *types.Project) []string {
	var out []string
	for _, name := range scalable {
		s, ok := p.Services[name]
		if !ok {
			out = append(out, name+": missing")
			continue
		}
		if s.ContainerName != "" {
			out = append(out, fmt.Sprintf("%s: container_name %q keeps it from scaling", name, s.ContainerName))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if len(s.Ports) > 0 && !slices.Contains(published, name) {
			out = append(out, fmt.Sprintf("%s: publishes %d port(s); only %v may", name, len(s.Ports), published))
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				out = append(out, fmt.Sprintf("%s: port %d is published on every interface, want 127.0.0.1", name, port.Target))
			}
		}
	}
	// The gRPC APIs are published on the port they listen on.
	for _, name := range []string{"producer", "analytics"} {
		s := p.Services[name]
		_, port := hostPort(env(s, "GRPC_ADDR"))
		if !slices.ContainsFunc(s.Ports, func(pc types.ServicePortConfig) bool { return fmt.Sprint(pc.Target) == port }) {
			out = append(out, fmt.Sprintf("%s: its gRPC port %s is not published", name, port))
		}
	}
	return out
}

// env returns the service's variable, or "".
func env(s types.ServiceConfig, name string) string {
	if v := s.Environment[name]; v != nil {
		return *v
	}
	return ""
}

var readGoVersion = sync.OnceValues(func() (string, error) {
	root := testenv.Root()
	b, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			parts := strings.Split(v, ".")
			if len(parts) >= 2 {
				return parts[0] + "." + parts[1], nil
			}
		}
	}
	return "", fmt.Errorf("go.work has no go line")
})

// goVersion returns the Go release go.work asks for, such as "1.26".
func goVersion(t *testing.T) string {
	t.Helper()
	v, err := readGoVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}
