package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// fixtureStatus is a pipeline with one store down, one service unreachable
// and some lag.
func fixtureStatus() *clickstreamv1.GetPipelineStatusResponse {
	return &clickstreamv1.GetPipelineStatusResponse{
		Services: []*clickstreamv1.ServiceStatus{
			{Name: "producer", Address: "127.0.0.1:50051", Health: "SERVING"},
			{Name: "search-sink", Address: "127.0.0.1:50053", Health: "UNREACHABLE"},
		},
		Stores: []*clickstreamv1.StoreStatus{
			{
				Name: "postgresql", Address: "127.0.0.1:15432/clickstream", Reachable: true,
				Counts:  map[string]int64{"sessions": 1556456, "events": 2747783},
				Latency: durationpb.New(1250 * time.Microsecond),
			},
			{
				Name: "valkey", Address: "127.0.0.1:16379", Reachable: true,
				Counts:  map[string]int64{"session_keys": 1401220},
				Latency: durationpb.New(420 * time.Microsecond),
			},
			{
				Name: "opensearch", Address: "http://127.0.0.1:19200",
				Error: "dial tcp 127.0.0.1:19200: connect: connection refused",
			},
			{Name: "kafka", Address: "127.0.0.1:19092", Reachable: true, Latency: durationpb.New(2 * time.Millisecond)},
		},
		Topic: &clickstreamv1.TopicStatus{
			Name: "clickstream-events",
			Partitions: []*clickstreamv1.PartitionOffsets{
				{Partition: 0, StartOffset: 0, EndOffset: 688946},
				{Partition: 1, StartOffset: 0, EndOffset: 686102},
				{Partition: 2, StartOffset: 1200, EndOffset: 689731},
				{Partition: 3, StartOffset: 0, EndOffset: 683004},
			},
		},
		Groups: []*clickstreamv1.GroupStatus{
			{
				Name: "clickstream-postgresql", TotalLag: 1204,
				Partitions: []*clickstreamv1.PartitionLag{
					{Partition: 0, Offset: 688946, Lag: 0},
					{Partition: 1, Offset: 684898, Lag: 1204},
					{Partition: 2, Offset: 689731, Lag: 0},
					{Partition: 3, Offset: 683004, Lag: 0},
				},
			},
			{Name: "clickstream-opensearch", TotalLag: 0},
		},
		CheckedAt: timestamppb.New(time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)),
	}
}

func TestStatusGolden(t *testing.T) {
	resp := fixtureStatus()
	addSelf(resp, "127.0.0.1:50054")
	var human, js bytes.Buffer
	if err := renderStatus(&human, resp, false); err != nil {
		t.Fatal(err)
	}
	if err := renderStatus(&js, resp, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.txt", human.Bytes())
	golden(t, "status.json", js.Bytes())
}

// A reachable store that lacks its tables or index says so beside its counts.
func TestStatusNotes(t *testing.T) {
	rows := storesTable([]storeJSON{
		{Name: "postgresql", Reachable: true, Counts: map[string]int64{"events": 0}, Note: "no tables yet"},
		{Name: "opensearch", Reachable: true, Counts: map[string]int64{}, Note: "no index yet"},
		{Name: "valkey", Reachable: false, Error: "refused", Note: "ignored when unreachable"},
	})
	for i, want := range []string{"0 events (no tables yet)", "no index yet", "refused"} {
		if got := rows[i+1][4]; got != want {
			t.Errorf("%s: counts cell %q, want %q", rows[i+1][0], got, want)
		}
	}
}

// The analytics service goes after the producer, or first without one.
func TestStatusAddSelf(t *testing.T) {
	resp := &clickstreamv1.GetPipelineStatusResponse{}
	addSelf(resp, "a:1")
	if len(resp.Services) != 1 || resp.Services[0].GetName() != "analytics" || resp.Services[0].GetAddress() != "a:1" {
		t.Fatalf("services %v, want analytics alone", resp.Services)
	}
}

// An empty answer keeps the JSON shape: lists are [], never null.
func TestStatusEmpty(t *testing.T) {
	var human, js bytes.Buffer
	if err := renderStatus(&human, &clickstreamv1.GetPipelineStatusResponse{}, false); err != nil {
		t.Fatal(err)
	}
	if err := renderStatus(&js, &clickstreamv1.GetPipelineStatusResponse{}, true); err != nil {
		t.Fatal(err)
	}
	want := `{
  "services": [],
  "stores": [],
  "topic": {
    "name": "",
    "partitions": []
  },
  "groups": [],
  "checked_at": ""
}
`
	if js.String() != want {
		t.Fatalf("JSON:\n%s\nwant:\n%s", js.String(), want)
	}
	if n := strings.Count(human.String(), "(none)"); n != 4 {
		t.Fatalf("human output has %d sections reading (none), want 4:\n%s", n, human.String())
	}
}

func TestStatusCommand(t *testing.T) {
	startFakeAnalytics(t)
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "table", args: []string{"status"}, golden: "status.txt"},
		{name: "json", args: []string{"status", "--json"}, golden: "status.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			// The fake listens on a port of its own; the golden files have
			// the analytics service's default.
			stdout = strings.ReplaceAll(stdout, os.Getenv("ANALYTICS_ADDR"), "127.0.0.1:50054")
			if want := readGolden(t, tc.golden); stdout != want {
				t.Fatalf("stdout:\n%s\nwant (%s):\n%s", stdout, tc.golden, want)
			}
		})
	}
}
