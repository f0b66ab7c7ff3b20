package faults

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/pgtest"
)

// The input: rows generated with a fixed seed, replayed over pace in all.
// Together with the faults below the suite takes about four minutes.
const (
	inputRows = 300_000
	inputSeed = 7
	pace      = 4 * time.Minute
)

// plan is what a full run injects.
var plan = []Fault{
	{KillProducer, 1},
	{KillPGSink, 2},
	{KillSearchSink, 2},
	{KillAnalytics, 1},
	{FlushValkey, 2},
	{RestartPG, 1},
	{RestartKafka, 1},
	{StopOpenSearch, 1},
}

// TestFaultSuite is the fault suite. It restarts the servers it runs
// against, so it runs only under `make faults` (scripts/faults.sh), which
// starts them and sets CLICKSTREAM_FAULT_SUITE=1. FAULTS_ONLY=kind,...
// limits it to some kinds of fault (see [Kinds]).
func TestFaultSuite(t *testing.T) {
	if os.Getenv("CLICKSTREAM_FAULT_SUITE") != "1" {
		t.Skip("the fault suite restarts servers: it runs under make faults (CLICKSTREAM_FAULT_SUITE=1)")
	}
	root := testenv.Root()
	bin := filepath.Join(root, "bin")
	for _, name := range []string{"clickstream", "producer", "pg-sink", "search-sink", "analytics"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Fatalf("%s is missing: run make build", filepath.Join(bin, name))
		}
	}
	faults, err := chosen(os.Getenv("FAULTS_ONLY"))
	if err != nil {
		t.Fatal(err)
	}
	localDir := os.Getenv("CLICKSTREAM_LOCAL_DIR")
	if localDir == "" {
		localDir = filepath.Join(root, ".local")
	}
	out := filepath.Join(localDir, "faults")
	work := filepath.Join(out, "run")
	if err := os.RemoveAll(work); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}

	input := filepath.Join(work, "input.csv")
	gen := exec.Command(filepath.Join(bin, "clickstream"), "data", "generate",
		"--rows", strconv.Itoa(inputRows), "--seed", strconv.Itoa(inputSeed), "--out", input)
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("data generate: %v\n%s", err, b)
	}

	cfg := Config{
		Bin:           bin,
		Scripts:       filepath.Join(root, "scripts", "local"),
		Work:          work,
		Input:         input,
		Pace:          pace,
		Brokers:       strings.Split(testenv.Lookup(t, "KAFKA_BROKERS"), ","),
		PGURL:         pgtest.Schema(t),
		ValkeyURL:     testenv.Lookup(t, "VALKEY_URL"),
		OpenSearchURL: testenv.Lookup(t, "OPENSEARCH_URL"),
		Name:          "faults-" + strconv.FormatInt(time.Now().Unix(), 10),
		Faults:        faults,
		Logf:          t.Logf,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	report, runErr := Run(ctx, cfg)

	var b bytes.Buffer
	report.Write(&b)
	os.Stdout.Write(b.Bytes())
	path := filepath.Join(out, "report.txt")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Error(err)
	}
	t.Logf("report written to %s; the services' logs are in %s", path, filepath.Join(work, "logs"))
	if runErr != nil {
		t.Fatalf("the suite stopped early: %v", runErr)
	}
	if !report.Passed() {
		t.Fatal("an invariant did not hold or the pipeline did not recover: see the report")
	}
}

// chosen returns the plan, or the part of it that only names.
func chosen(only string) ([]Fault, error) {
	if only == "" {
		return plan, nil
	}
	var out []Fault
	for _, name := range strings.Split(only, ",") {
		i := slices.IndexFunc(plan, func(f Fault) bool { return string(f.Kind) == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("FAULTS_ONLY: %q is not one of %v", name, Kinds)
		}
		out = append(out, plan[i])
	}
	return out, nil
}
