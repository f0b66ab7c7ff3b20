package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// releases says which release line each image must stay on; golang, the
// build stage and the certificates' one-shot, follows go.work instead.
var releases = map[string]string{
	"apache/kafka":                 "4.",
	"postgres":                     "17.",
	"valkey/valkey":                "8.",
	"opensearchproject/opensearch": "2.19.",
	"opensearchproject/opensearch-dashboards": "2.19.",
}

var (
	versionTag = regexp.MustCompile(`^[0-9]+(\.[0-9]+)+`)
	number     = regexp.MustCompile(`^[0-9]+`)
)

// checkImage returns what is wrong with an image reference: it must have a
// tag that is a version, on the release line the project uses.
func checkImage(image, goRelease string) string {
	ref, _, _ := strings.Cut(image, "@")
	repo, tag := ref, ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo, tag = ref[:i], ref[i+1:]
	}
	want, known := releases[repo]
	if repo == "golang" {
		want, known = goRelease+".", true
	}
	switch {
	case tag == "":
		return fmt.Sprintf("image %s has no tag: pin a version", image)
	case !versionTag.MatchString(tag):
		return fmt.Sprintf("image %s: tag %q is not an exact version (no latest, no floating names)", image, tag)
	case !known:
		return fmt.Sprintf("image %s: unknown image; add its release line to the test", image)
	case !strings.HasPrefix(tag, want) || !number.MatchString(strings.TrimPrefix(tag, want)):
		return fmt.Sprintf("image %s: want %sN, an exact release", image, want)
	}
	return ""
}

func checkImages(p *types.Project, goRelease string) []string {
	var out []string
	tags := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if s.Build != nil {
			continue // its FROM lines are checked with the Dockerfile
		}
		if problem := checkImage(s.Image, goRelease); problem != "" {
			out = append(out, name+": "+problem)
		}
		repo, tag, _ := strings.Cut(s.Image, ":")
		tags[repo] = tag
	}
	search, dashboards := tags["opensearchproject/opensearch"], tags["opensearchproject/opensearch-dashboards"]
	if search != dashboards {
		out = append(out, fmt.Sprintf("opensearch-dashboards: version %s differs from OpenSearch's %s", dashboards, search))
	}
	return out
}

// stage is one FROM section of a Dockerfile, with what the checks read.
type stage struct {
	name, base string
	user       string
	env        map[string]string
	runs       []string
	copies     [][3]string // from, source, destination
	entrypoint []string
}

// parseDockerfile reads the instructions the checks need: FROM, USER, ENV,
// RUN, COPY and ENTRYPOINT (exec form), with line continuations.
func parseDockerfile(text string) ([]*stage, error) {
	var stages []*stage
	var lines []string
	var cur string
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if body, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur += body + " "
			continue
		}
		lines = append(lines, cur+trimmed)
		cur = ""
	}
	for _, line := range lines {
		word, rest, _ := strings.Cut(line, " ")
		fields := strings.Fields(rest)
		if strings.EqualFold(word, "FROM") {
			fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--") })
			st := &stage{env: map[string]string{}}
			if len(fields) > 0 {
				st.base = fields[0]
			}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if strings.EqualFold(word, "ARG") {
				continue
			}
			return nil, fmt.Errorf("%s before the first FROM", word)
		}
		st := stages[len(stages)-1]
		switch strings.ToUpper(word) {
		case "USER":
			st.user = strings.TrimSpace(rest)
		case "ENV":
			for _, f := range fields {
				if k, v, ok := strings.Cut(f, "="); ok {
					st.env[k] = v
				}
			}
		case "RUN":
			st.runs = append(st.runs, rest)
		case "COPY":
			var from string
			var args []string
			for _, f := range fields {
				if v, ok := strings.CutPrefix(f, "--from="); ok {
					from = v
				} else if !strings.HasPrefix(f, "--") {
					args = append(args, f)
				}
			}
			if len(args) == 2 {
				st.copies = append(st.copies, [3]string{from, args[0], args[1]})
			}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &st.entrypoint); err != nil {
				return nil, fmt.Errorf("ENTRYPOINT %s: want the exec form: %v", rest, err)
			}
		}
	}
	return stages, nil
}

func stageNamed(stages []*stage, name string) *stage {
	for _, st := range stages {
		if st.name == name {
			return st
		}
	}
	return nil
}

// chain returns st and the stages it is built FROM, nearest first.
func chain(stages []*stage, st *stage) []*stage {
	var out []*stage
	for st != nil && !slices.Contains(out, st) {
		out = append(out, st)
		st = stageNamed(stages, st.base)
	}
	return out
}

// user returns the user the stage runs as: the nearest USER in its chain,
// or the base image's nonroot tag.
func user(stages []*stage, st *stage) string {
	c := chain(stages, st)
	for _, s := range c {
		if s.user != "" {
			return s.user
		}
	}
	if base := c[len(c)-1].base; strings.HasSuffix(base, ":nonroot") {
		return "nonroot"
	}
	return ""
}

func nonRoot(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	return name != "" && name != "root" && name != "0"
}

// staticBuild reports whether st (or a stage it is built from) compiles Go
// with cgo off, so that the binary runs on an empty image.
func staticBuild(stages []*stage, st *stage) bool {
	for _, s := range chain(stages, st) {
		for _, run := range s.runs {
			if !strings.Contains(run, "go build") {
				continue
			}
			if strings.Contains(run, "CGO_ENABLED=0") {
				return true
			}
			for _, e := range chain(stages, st) {
				if e.env["CGO_ENABLED"] == "0" {
					return true
				}
			}
		}
	}
	return false
}

// checkDockerfile checks the stage target of the parsed Dockerfile: it
// runs as a user other than root, its entry point is a binary that a build
// stage compiled with cgo off, and every image it stands on is pinned.
func checkDockerfile(stages []*stage, target, goRelease string) (entrypoint []string, problems []string) {
	st := stageNamed(stages, target)
	if st == nil {
		return nil, []string{fmt.Sprintf("Dockerfile has no stage %q", target)}
	}
	if u := user(stages, st); !nonRoot(u) {
		problems = append(problems, fmt.Sprintf("stage %s runs as %q: want a user other than root", target, u))
	}
	for _, s := range stages {
		if s.base == "scratch" || stageNamed(stages, s.base) != nil {
			continue
		}
		if problem := checkImage(s.base, goRelease); problem != "" {
			problems = append(problems, "Dockerfile: "+problem)
		}
	}
	if len(st.entrypoint) == 0 {
		return nil, append(problems, fmt.Sprintf("stage %s has no ENTRYPOINT", target))
	}
	bin := st.entrypoint[0]
	var built bool
	for _, s := range chain(stages, st) {
		for _, c := range s.copies {
			if c[2] == bin {
				built = staticBuild(stages, stageNamed(stages, c[0]))
			}
		}
	}
	if !built {
		problems = append(problems, fmt.Sprintf("stage %s: %s is not copied from a stage that runs go build with CGO_ENABLED=0", target, bin))
	}
	return st.entrypoint, problems
}

// checkBuilds checks every service built from the repository: its context
// and Dockerfile exist, and its target stage passes [checkDockerfile]; a
// long-running one checks its health with its own binary's healthcheck mode.
func checkBuilds(p *types.Project) []string {
	goRelease, _ := readGoVersion()
	var out []string
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if s.Build == nil {
			continue
		}
		if fi, err := os.Stat(s.Build.Context); err != nil || !fi.IsDir() {
			out = append(out, fmt.Sprintf("%s: build context %s is not a folder", name, s.Build.Context))
			continue
		}
		text, err := os.ReadFile(filepath.Join(s.Build.Context, s.Build.Dockerfile))
		if err != nil {
			out = append(out, fmt.Sprintf("%s: build: %v", name, err))
			continue
		}
		stages, err := parseDockerfile(string(text))
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %s: %v", name, s.Build.Dockerfile, err))
			continue
		}
		entrypoint, problems := checkDockerfile(stages, s.Build.Target, goRelease)
		for _, pr := range problems {
			out = append(out, name+": "+pr)
		}
		if kind(s) == longRunning && entrypoint != nil {
			want := types.HealthCheckTest{"CMD", entrypoint[0], "healthcheck"}
			if s.HealthCheck == nil || !slices.Equal(s.HealthCheck.Test, want) {
				var got []string
				if s.HealthCheck != nil {
					got = s.HealthCheck.Test
				}
				out = append(out, fmt.Sprintf("%s: health check %q, want %q", name, got, want))
			}
		}
	}
	return out
}

func TestDockerfileChecksCatchBrokenFile(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	goRelease, err := readGoVersion()
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(good))
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"producer", "pg-sink", "search-sink", "analytics", "clickstream"} {
		if _, problems := checkDockerfile(stages, target, goRelease); len(problems) > 0 {
			t.Errorf("target %s: %v", target, problems)
		}
	}

	tests := []struct {
		name, old, new, want string
	}{
		{"root user", "USER 65532:65532", "USER root", `runs as "root"`},
		{"uid 0", "USER 65532:65532", "USER 0:0", `runs as "0:0"`},
		{"no user", "USER 65532:65532\n", "", `runs as ""`},
		{"cgo on", "CGO_ENABLED=0 go build", "go build", "CGO_ENABLED=0"},
		{"floating build image", "FROM golang:" + goRelease, "FROM golang:latest AS x\nFROM golang:" + goRelease, "golang:latest"},
		{"other Go release", "FROM golang:" + goRelease, "FROM golang:1.20.1 AS x\nFROM golang:" + goRelease, "golang:1.20.1"},
		{"binary from elsewhere", "COPY --from=build /out/producer", "COPY --from=runtime /out/producer", "/usr/local/bin/producer is not copied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			broken := strings.Replace(string(good), tc.old, tc.new, 1)
			if broken == string(good) {
				t.Fatalf("Dockerfile no longer holds %q: update the test", tc.old)
			}
			stages, err := parseDockerfile(broken)
			if err != nil {
				t.Fatal(err)
			}
			_, problems := checkDockerfile(stages, "producer", goRelease)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Fatalf("problems %q do not mention %q", problems, tc.want)
			}
		})
	}
}

// TestDockerignore: the context leaves out the git history, local state,
// secrets and data, and keeps what the build needs.
func TestDockerignore(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(strings.TrimPrefix(line, "/"), "/"))
		}
	}
	for _, want := range []string{".git", ".local", ".env", "bin", "data"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
	for _, need := range []string{"go.work", "go.work.sum", "proto", "sql", "services", "Dockerfile"} {
		if slices.Contains(patterns, need) || slices.Contains(patterns, "*") {
			t.Errorf(".dockerignore leaves out %s, which the build needs", need)
		}
		if _, err := os.Stat(filepath.Join(root, need)); err != nil {
			t.Errorf("the build needs %s: %v", need, err)
		}
	}
}
