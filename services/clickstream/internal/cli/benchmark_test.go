package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAppendResult(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.csv")
	runs := []benchmarkResult{
		{Time: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), Events: 2756101, Replicas: 4, Partitions: 4, Seconds: 12.5},
		{Time: time.Date(2026, 12, 3, 13, 0, 0, 0, time.FixedZone("CET", 3600)), Events: 10000, Replicas: 1, Partitions: 4, Seconds: 0.4},
	}
	for _, r := range runs {
		if err := appendResult(path, r); err != nil {
			t.Fatal(err)
		}
	}
	want := "timestamp,events,replicas,partitions,seconds,events_per_second\n" +
		"2026-12-03T12:00:00Z,2756101,4,4,12.500,220488.1\n" +
		"2026-12-03T12:00:00Z,10000,1,4,0.400,25000.0\n"
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Fatalf("results file:\n%s\nwant:\n%s", got, want)
	}
}

func TestAppendResultToAnOlderFile(t *testing.T) {
	dir := t.TempDir()
	r := benchmarkResult{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Events: 10, Replicas: 1, Partitions: 1, Seconds: 2}
	tests := []struct {
		name, before, after, wantErr string
	}{
		{name: "empty", before: "", after: "timestamp,events,replicas,partitions,seconds,events_per_second\n2026-01-02T03:04:05Z,10,1,1,2.000,5.0\n"},
		{
			name:   "no final line break",
			before: "timestamp,events,replicas,partitions,seconds,events_per_second\n2026-01-01T00:00:00Z,1,1,1,1.000,1.0",
			after:  "timestamp,events,replicas,partitions,seconds,events_per_second\n2026-01-01T00:00:00Z,1,1,1,1.000,1.0\n2026-01-02T03:04:05Z,10,1,1,2.000,5.0\n",
		},
		{name: "another header", before: "a,b\n1,2\n", after: "a,b\n1,2\n", wantErr: "does not start with the header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".csv")
			if err := os.WriteFile(path, []byte(tc.before), 0o644); err != nil {
				t.Fatal(err)
			}
			err := appendResult(path, r)
			if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("appendResult = %v, want error %q", err, tc.wantErr)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.after {
				t.Fatalf("file:\n%q\nwant:\n%q", got, tc.after)
			}
		})
	}
}

func TestFinishBenchmarkGolden(t *testing.T) {
	dir := t.TempDir()
	r := benchmarkResult{Time: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), Events: 2756101, Replicas: 4, Partitions: 4, Seconds: 12.3456}
	for _, asJSON := range []bool{false, true} {
		var out bytes.Buffer
		// A relative name, so that the golden does not hold the temp dir.
		t.Run("", func(t *testing.T) {
			t.Chdir(dir)
			if err := finishBenchmark(&out, r, "benchmarks.csv", asJSON); err != nil {
				t.Fatal(err)
			}
		})
		name := "benchmark.txt"
		if asJSON {
			name = "benchmark.json"
		}
		golden(t, name, out.Bytes())
	}
	got, _ := os.ReadFile(filepath.Join(dir, "benchmarks.csv"))
	if n := strings.Count(string(got), "timestamp,"); n != 1 || strings.Count(string(got), "\n") != 3 {
		t.Fatalf("two runs left:\n%s", got)
	}
}

func TestBenchmarkRefusesWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	// Were the refusal to fail, nothing real is touched: no local sinks to
	// stop, and no broker or database that answers.
	t.Setenv("CLICKSTREAM_LOCAL_DIR", dir)
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:1")
	t.Setenv("PG_URL", "postgres://nobody@127.0.0.1:1/none")
	results := filepath.Join(dir, "benchmarks.csv")
	_, stderr, code := run(t, "--env-file", filepath.Join(dir, "none.env"), "benchmark", "--results", results)
	if code == 0 || !strings.Contains(stderr, "benchmark cancelled") || !strings.Contains(stderr, "pass -y") {
		t.Fatalf("exit %d, stderr %q; want a refusal asking for -y", code, stderr)
	}
	if _, err := os.Stat(results); err == nil {
		t.Fatal("a refused benchmark wrote results")
	}
}
