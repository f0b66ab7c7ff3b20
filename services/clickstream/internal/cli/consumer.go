package cli

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/clickstream/clickstream/services/clickstream/internal/local"
	"github.com/clickstream/clickstream/services/platform/kafka"
)

// sinkPorts places replica i of a sink (from 1) on fixed loopback ports, so
// that status can find every replica: gRPC at grpc+i, HTTP at http+i.
var sinkPorts = map[string]struct{ grpc, http int }{
	"pg-sink":     {50060, 8060},
	"search-sink": {50070, 8070},
}

// sinks returns the sinks to run: pg-sink, and the search-sink when
// OPENSEARCH_ENABLED is set.
func (a *app) sinks() ([]string, error) {
	cfg, err := a.settings()
	if err != nil {
		return nil, err
	}
	if cfg.SearchSink {
		return []string{"pg-sink", "search-sink"}, nil
	}
	return []string{"pg-sink"}, nil
}

func (a *app) consumerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consumer",
		Short: "Run the sinks on this machine: replicas that share the topic's partitions",
		Long: `The sinks consume the events topic: pg-sink writes events and sessions to
PostgreSQL, and the search-sink, when OPENSEARCH_ENABLED=true, indexes them
into OpenSearch under its own consumer group (so enabling it late backfills
the whole topic). Replicas of a sink share the topic's partitions, so more
replicas than partitions leave some idle. These commands run them on this
machine from the binaries next to clickstream, with logs under .local/logs.`,
	}
	cmd.AddCommand(a.consumerStartCmd(), a.consumerStopCmd(), a.consumerRestartCmd(), a.consumerLogsCmd(), a.consumerWaitCmd())
	return cmd
}

func (a *app) consumerStartCmd() *cobra.Command {
	var replicas int
	cmd := &cobra.Command{
		Use:   "start [--replicas N]",
		Short: "Start sink replicas (default: one per partition)",
		Example: `  clickstream consumer start
  clickstream consumer start --replicas 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.consumerStart(cmd.Context(), replicas)
		},
	}
	cmd.Flags().IntVar(&replicas, "replicas", 0, "replicas per sink (0: the topic's partition count)")
	return cmd
}

func (a *app) consumerStart(ctx context.Context, replicas int) error {
	if replicas < 0 {
		return fmt.Errorf("--replicas must be positive, got %d", replicas)
	}
	if replicas == 0 {
		n, err := a.partitions(ctx)
		if err != nil {
			return err
		}
		replicas = n
	}
	sinks, err := a.sinks()
	if err != nil {
		return err
	}
	for _, sink := range sinks {
		ports := sinkPorts[sink]
		bin, err := local.Binary(sink)
		if err != nil {
			return err
		}
		for i := 1; i <= replicas; i++ {
			name := fmt.Sprintf("%s-%d", sink, i)
			if p, ok := a.local.Find(name); ok {
				fmt.Fprintf(a.stdout, "%s already running (pid %d)\n", name, p.PID)
				continue
			}
			addr := "127.0.0.1:" + strconv.Itoa(ports.grpc+i)
			httpAddr := "127.0.0.1:" + strconv.Itoa(ports.http+i)
			if err := portsFree(addr, httpAddr); err != nil {
				return fmt.Errorf("cannot start %s: %w", name, err)
			}
			p, err := a.local.Start(name, bin, []string{"GRPC_ADDR=" + addr, "HTTP_ADDR=" + httpAddr})
			if err != nil {
				return err
			}
			if err := a.waitUp(ctx, name, addr); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "started %s (pid %d, metrics http://127.0.0.1:%d/metrics, log %s)\n",
				name, p.PID, ports.http+i, p.Log)
		}
	}
	return nil
}

// partitions returns the events topic's partition count, or 1 while the
// topic does not exist yet.
func (a *app) partitions(ctx context.Context) (int, error) {
	cfg, err := a.settings()
	if err != nil {
		return 0, err
	}
	client, err := kafka.NewClient(ctx, cfg.Kafka, nil)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	topics, err := kadm.NewClient(client).ListTopics(ctx, cfg.Kafka.Topic)
	if err != nil {
		return 0, fmt.Errorf("describe topic %s: %w", cfg.Kafka.Topic, err)
	}
	if d, ok := topics[cfg.Kafka.Topic]; ok && d.Err == nil && len(d.Partitions) > 0 {
		return len(d.Partitions), nil
	}
	return 1, nil
}

func (a *app) consumerStopCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "stop",
		Short:   "Stop every sink replica running on this machine",
		Example: "  clickstream consumer stop",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.stopSinks()
		},
	}
}

func (a *app) consumerRestartCmd() *cobra.Command {
	var replicas int
	cmd := &cobra.Command{
		Use:   "restart [--replicas N]",
		Short: "Stop the sink replicas and start them again, e.g. after a change of settings",
		Example: `  clickstream consumer restart
  clickstream consumer restart --replicas 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if replicas == 0 {
				replicas = len(a.local.List("pg-sink-"))
			}
			if err := a.stopSinks(); err != nil {
				return err
			}
			return a.consumerStart(cmd.Context(), replicas)
		},
	}
	cmd.Flags().IntVar(&replicas, "replicas", 0, "replicas per sink (0: as many as were running, else one per partition)")
	return cmd
}

func (a *app) consumerLogsCmd() *cobra.Command {
	return a.logsCmd("Print the logs of the sink replicas started on this machine",
		"  clickstream consumer logs\n  clickstream consumer logs -n 20 -f",
		func() []string {
			var paths []string
			for sink := range sinkPorts {
				paths = append(paths, a.local.Logs(sink+"-")...)
			}
			return paths
		})
}

// stopSinks stops every sink replica running on this machine.
func (a *app) stopSinks() error {
	for sink := range sinkPorts {
		if err := a.localDown(sink + "-"); err != nil {
			return err
		}
	}
	return nil
}

// portsFree fails when a process listens on one of the addresses already,
// as another local stack's replicas do: a replica started anyway would exit
// at once while the other process answered its health checks.
func portsFree(addrs ...string) error {
	for _, addr := range addrs {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s is in use by another process: %w", addr, err)
		}
		ln.Close()
	}
	return nil
}

// waitUp waits until the named process answers health checks at addr,
// whatever it answers (a sink without Valkey is up but NOT_SERVING), and
// fails with the end of its log when it exits first.
func (a *app) waitUp(ctx context.Context, name, addr string) error {
	conn, err := a.dial(addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	health := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := health.Check(cctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil {
			return nil
		}
		if _, ok := a.local.Find(name); !ok {
			lines, _, _ := lastLines(a.local.LogPath(name), 1)
			return fmt.Errorf("%s exited at start (log %s): %s", name, a.local.LogPath(name), strings.Join(lines, ""))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not answer at %s after 30s (log %s)", name, addr, a.local.LogPath(name))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
