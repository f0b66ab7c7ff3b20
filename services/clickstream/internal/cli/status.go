package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

func (a *app) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show the services, the stores, the topic and the consumer lag",
		Long: `Ask the analytics service at ANALYTICS_ADDR how the whole pipeline is
doing: the gRPC health of each service; whether each store answers, what it
holds and how fast it answered; the topic's partition offsets; and each
consumer group's lag.

The analytics service must be running; this command never starts it. It
exits 0 whenever the analytics service answers, whatever the answer says.`,
		Example: `  clickstream status
  clickstream status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.status(cmd.Context(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func (a *app) status(ctx context.Context, asJSON bool) error {
	client, closeConn, err := a.analyticsClient(ctx)
	if err != nil {
		return err
	}
	defer closeConn()

	ctx, cancel := context.WithTimeout(ctx, analyticsTimeout)
	defer cancel()
	resp, err := client.GetPipelineStatus(fresh(ctx), &clickstreamv1.GetPipelineStatusRequest{})
	if err != nil {
		return analyticsError("get pipeline status", err)
	}
	cfg, err := a.settings()
	if err != nil {
		return err
	}
	addSelf(resp, cfg.AnalyticsAddr)
	return renderStatus(a.stdout, resp, asJSON)
}

// addSelf lists the analytics service, which does not list itself, after
// the producer: it has just answered, so it serves.
func addSelf(resp *clickstreamv1.GetPipelineStatusResponse, addr string) {
	self := &clickstreamv1.ServiceStatus{Name: "analytics", Address: addr, Health: "SERVING"}
	at := 0
	if i := slices.IndexFunc(resp.Services, func(s *clickstreamv1.ServiceStatus) bool { return s.GetName() == "producer" }); i >= 0 {
		at = i + 1
	}
	resp.Services = slices.Insert(resp.Services, at, self)
}

// statusReport is the JSON form of status, printed with --json; fields are
// only ever added. For example:
//
//	{
//	  "services": [
//	    {"name": "producer", "address": "127.0.0.1:50051", "health": "SERVING"}  // or NOT_SERVING, UNREACHABLE
//	  ],
//	  "stores": [
//	    {
//	      "name": "postgresql",            // postgresql, valkey, opensearch or kafka
//	      "address": "127.0.0.1:15432",    // without credentials
//	      "reachable": true,
//	      "error": "",                     // why it is not reachable
//	      "counts": {"events": 2747783, "sessions": 1556456},  // {} when none
//	      "latency_ms": 1.25,              // null when not measured
//	      "note": ""                       // what a reachable store lacks, e.g. "no tables yet: ..."
//	    }
//	  ],
//	  "topic": {
//	    "name": "clickstream-events",
//	    "partitions": [{"partition": 0, "start_offset": 0, "end_offset": 688946}]
//	  },
//	  "groups": [
//	    {
//	      "name": "clickstream-postgresql",
//	      "total_lag": 12,
//	      "partitions": [{"partition": 0, "offset": 688934, "lag": 12}]
//	    }
//	  ],
//	  "checked_at": "2026-01-05T12:00:00Z"  // RFC 3339, UTC; "" when unknown
//	}
//
// Lists are in the service's order and are [] rather than null when empty;
// counts keys are sorted.
type statusReport struct {
	Services  []serviceJSON `json:"services"`
	Stores    []storeJSON   `json:"stores"`
	Topic     topicJSON     `json:"topic"`
	Groups    []groupJSON   `json:"groups"`
	CheckedAt string        `json:"checked_at"`
}

type serviceJSON struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Health  string `json:"health"`
}

type storeJSON struct {
	Name      string           `json:"name"`
	Address   string           `json:"address"`
	Reachable bool             `json:"reachable"`
	Error     string           `json:"error"`
	Counts    map[string]int64 `json:"counts"`
	LatencyMS *float64         `json:"latency_ms"`
	Note      string           `json:"note"`
}

type topicJSON struct {
	Name       string               `json:"name"`
	Partitions []topicPartitionJSON `json:"partitions"`
}

type topicPartitionJSON struct {
	Partition   int32 `json:"partition"`
	StartOffset int64 `json:"start_offset"`
	EndOffset   int64 `json:"end_offset"`
}

type groupJSON struct {
	Name       string               `json:"name"`
	TotalLag   int64                `json:"total_lag"`
	Partitions []groupPartitionJSON `json:"partitions"`
}

type groupPartitionJSON struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
	Lag       int64 `json:"lag"`
}

func statusJSON(resp *clickstreamv1.GetPipelineStatusResponse) statusReport {
	rep := statusReport{
		Services:  []serviceJSON{},
		Stores:    []storeJSON{},
		Topic:     topicJSON{Name: resp.GetTopic().GetName(), Partitions: []topicPartitionJSON{}},
		Groups:    []groupJSON{},
		CheckedAt: timeString(resp.GetCheckedAt()),
	}
	for _, s := range resp.GetServices() {
		rep.Services = append(rep.Services, serviceJSON{Name: s.GetName(), Address: s.GetAddress(), Health: s.GetHealth()})
	}
	for _, s := range resp.GetStores() {
		st := storeJSON{
			Name: s.GetName(), Address: s.GetAddress(), Reachable: s.GetReachable(), Error: s.GetError(),
			Counts: map[string]int64{}, Note: s.GetNote(),
		}
		maps.Copy(st.Counts, s.GetCounts())
		if s.GetLatency() != nil {
			ms := float64(s.GetLatency().AsDuration()) / float64(time.Millisecond)
			st.LatencyMS = &ms
		}
		rep.Stores = append(rep.Stores, st)
	}
	for _, p := range resp.GetTopic().GetPartitions() {
		rep.Topic.Partitions = append(rep.Topic.Partitions, topicPartitionJSON{
			Partition: p.GetPartition(), StartOffset: p.GetStartOffset(), EndOffset: p.GetEndOffset(),
		})
	}
	for _, g := range resp.GetGroups() {
		gj := groupJSON{Name: g.GetName(), TotalLag: g.GetTotalLag(), Partitions: []groupPartitionJSON{}}
		for _, p := range g.GetPartitions() {
			gj.Partitions = append(gj.Partitions, groupPartitionJSON{
				Partition: p.GetPartition(), Offset: p.GetOffset(), Lag: p.GetLag(),
			})
		}
		rep.Groups = append(rep.Groups, gj)
	}
	return rep
}

func timeString(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

// renderStatus prints resp as JSON (see [statusReport]) or as sections of
// tables, with bold section titles on a terminal.
func renderStatus(w io.Writer, resp *clickstreamv1.GetPipelineStatusResponse, asJSON bool) error {
	rep := statusJSON(resp)
	if asJSON {
		return writeJSON(w, rep)
	}
	colour := interactive(w)
	var b bytes.Buffer
	if rep.CheckedAt != "" {
		fmt.Fprintf(&b, "Pipeline status at %s\n\n", rep.CheckedAt)
	}
	writeSection(&b, "Services", colour, servicesTable(rep.Services))
	writeSection(&b, "Stores", colour, storesTable(rep.Stores))
	writeSection(&b, topicTitle(rep.Topic.Name), colour, topicTable(rep.Topic.Partitions))
	writeSection(&b, "Consumer groups", colour, groupsTable(rep.Groups))
	_, err := w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	return err
}

func topicTitle(name string) string {
	if name == "" {
		return "Topic"
	}
	return "Topic " + name
}

func servicesTable(services []serviceJSON) [][]string {
	rows := [][]string{{"NAME", "ADDRESS", "HEALTH"}}
	for _, s := range services {
		rows = append(rows, []string{s.Name, s.Address, s.Health})
	}
	return rows
}

// storesTable puts the counts, or why the store is not reachable, last:
// they are the longest cells.
func storesTable(stores []storeJSON) [][]string {
	rows := [][]string{{"NAME", "ADDRESS", "REACHABLE", "LATENCY", "COUNTS"}}
	for _, s := range stores {
		mark, latency, what := "✓", "-", countsText(s.Counts)
		switch {
		case !s.Reachable:
			mark, what = "✗", s.Error
		case s.Note != "" && what != "":
			what += " (" + s.Note + ")"
		case s.Note != "":
			what = s.Note
		}
		if s.LatencyMS != nil {
			latency = fmt.Sprintf("%.1f ms", *s.LatencyMS)
		}
		rows = append(rows, []string{s.Name, s.Address, mark, latency, what})
	}
	return rows
}

// countsText reads "2,747,783 events, 1,556,456 sessions", in key order.
func countsText(counts map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, count(counts[k])+" "+strings.ReplaceAll(k, "_", " "))
	}
	return strings.Join(parts, ", ")
}

func topicTable(partitions []topicPartitionJSON) [][]string {
	rows := [][]string{{"PARTITION", "START OFFSET", "END OFFSET"}}
	for _, p := range partitions {
		rows = append(rows, []string{fmt.Sprint(p.Partition), count(p.StartOffset), count(p.EndOffset)})
	}
	return rows
}

// groupsTable lists each group's lag by partition on one line, as
// partition: lag.
func groupsTable(groups []groupJSON) [][]string {
	rows := [][]string{{"NAME", "TOTAL LAG", "LAG BY PARTITION"}}
	for _, g := range groups {
		var parts []string
		for _, p := range g.Partitions {
			parts = append(parts, fmt.Sprintf("%d: %s", p.Partition, count(p.Lag)))
		}
		rows = append(rows, []string{g.Name, count(g.TotalLag), strings.Join(parts, " · ")})
	}
	return rows
}

// writeSection prints a title, then the rows as an indented table, or
// "(none)" when only the header row is there, then a blank line.
func writeSection(b *bytes.Buffer, title string, colour bool, rows [][]string) {
	fmt.Fprintln(b, bold(title, colour))
	if len(rows) < 2 {
		fmt.Fprint(b, "  (none)\n\n")
		return
	}
	var t bytes.Buffer
	tw := tabwriter.NewWriter(&t, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintln(tw, "  "+strings.Join(row, "\t"))
	}
	tw.Flush()
	for line := range strings.Lines(t.String()) {
		fmt.Fprintln(b, strings.TrimRight(line, " \n"))
	}
	fmt.Fprintln(b)
}
