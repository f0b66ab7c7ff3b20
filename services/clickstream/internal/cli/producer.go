package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/clickstream/internal/local"
	"github.com/clickstream/clickstream/services/platform/config"
)

func (a *app) producerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "producer",
		Short: "Replay click events from a CSV file into Kafka",
		Long: `The producer service replays a CSV file of click events into the events
topic. These commands talk to it over gRPC at PRODUCER_ADDR; when that
address is on this machine and nothing answers, producer start runs the
producer binary in the background first (logs: producer logs).`,
	}
	cmd.AddCommand(a.producerStartCmd(), a.producerStopCmd(), a.producerLogsCmd())
	return cmd
}

type startFlags struct {
	file, rejects, realtime string
	limit                   int64
	wait, json              bool
}

var speedPattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)x?$`)

func (a *app) producerStartCmd() *cobra.Command {
	var f startFlags
	cmd := &cobra.Command{
		Use:   "start [--file F] [--limit N] [--realtime [Nx]] [--wait] [--json]",
		Short: "Start a replay",
		Long: `Start a replay of the file: as fast as possible by default, or in real time
with --realtime, where the original gaps between events are divided by N.

Rows that break the file format are rejected: counted, reported with their
line numbers (all of them in --rejects FILE), and never sent.`,
		Example: `  clickstream producer start                        # the whole file, batch mode
  clickstream producer start --limit 10000 --wait   # the first 10,000 events, then a summary
  clickstream producer start --realtime             # real time (1x)
  clickstream producer start --realtime 5x          # five times real time
  clickstream producer start --file data/sample.csv --wait --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			speed, err := parseSpeed(cmd.Flags().Changed("realtime"), f.realtime, args)
			if err != nil {
				return err
			}
			return a.producerStart(cmd.Context(), f, speed)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.file, "file", "", "CSV file to replay (plain or gzip); default: the producer's PRODUCER_FILE")
	fl.Int64Var(&f.limit, "limit", 0, "send only the first N events in send order (0: all)")
	fl.StringVar(&f.realtime, "realtime", "", "replay in real time, N times faster (1x when no N is given)")
	fl.Lookup("realtime").NoOptDefVal = "1x"
	fl.StringVar(&f.rejects, "rejects", "", "write every rejected row (line, reason) to this CSV file")
	fl.BoolVar(&f.wait, "wait", false, "wait for the replay to end and print a summary")
	fl.BoolVar(&f.json, "json", false, "print the summary as JSON (with --wait) or the started replay")
	return cmd
}

// parseSpeed turns --realtime into a speed factor. The flag's value may
// also come as the next argument (--realtime 5x), which flag parsing hands
// over as a positional argument.
func parseSpeed(set bool, value string, args []string) (float64, error) {
	if len(args) > 0 {
		if !set || value != "1x" {
			return 0, fmt.Errorf("unexpected argument %q", args[0])
		}
		value = args[0]
	}
	if !set {
		return 0, nil
	}
	m := speedPattern.FindStringSubmatch(value)
	if m == nil {
		return 0, fmt.Errorf("--realtime %q: want a factor such as 1x, 5x or 0.5x", value)
	}
	speed, err := strconv.ParseFloat(m[1], 64)
	if err != nil || speed <= 0 {
		return 0, fmt.Errorf("--realtime %q: the factor must be positive", value)
	}
	return speed, nil
}

func (a *app) producerStart(ctx context.Context, f startFlags, speed float64) error {
	client, closeConn, err := a.producerClient(ctx, true)
	if err != nil {
		return err
	}
	defer closeConn()

	req := &clickstreamv1.StartReplayRequest{
		File: localPath(f.file), Limit: f.limit, Speed: speed, RejectsFile: absPath(f.rejects),
	}
	resp, err := client.StartReplay(ctx, req)
	if err != nil {
		return rpcError("start replay", err)
	}
	if !f.wait {
		if f.json {
			return writeJSON(a.stdout, replayJSON(resp.GetReplay()))
		}
		r := resp.GetReplay()
		fmt.Fprintf(a.stdout, "replay %s started: %s\n", r.GetId(), r.GetFile())
		return nil
	}
	final, err := a.follow(ctx, client, resp.GetReplay().GetId())
	if err != nil {
		return err
	}
	if f.json {
		err = writeJSON(a.stdout, replayJSON(final))
	} else {
		err = writeSummary(a.stdout, final)
	}
	if err == nil && final.GetState() == clickstreamv1.ReplayState_REPLAY_STATE_FAILED {
		return exitError(1)
	}
	return err
}

// follow polls the replay until it ends, drawing progress on a terminal.
// An interrupt (ctx done) asks the producer to stop the replay, which then
// flushes what it sent; follow still returns the final state.
func (a *app) follow(ctx context.Context, client clickstreamv1.ProducerServiceClient, id string) (*clickstreamv1.Replay, error) {
	bar := newProgressBar(a.stderr)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		rpcCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		resp, err := client.GetReplay(rpcCtx, &clickstreamv1.GetReplayRequest{})
		cancel()
		if err != nil {
			bar.clear()
			return nil, rpcError("follow replay", err)
		}
		r := resp.GetReplay()
		if r.GetId() != id {
			bar.clear()
			return nil, fmt.Errorf("replay %s was replaced by %s", id, r.GetId())
		}
		if ended(r) {
			bar.clear()
			return r, nil
		}
		bar.draw(r)
		select {
		case <-ctx.Done():
			bar.clear()
			return a.stopReplay(context.WithoutCancel(ctx), client)
		case <-tick.C:
		}
	}
}

func ended(r *clickstreamv1.Replay) bool {
	switch r.GetState() {
	case clickstreamv1.ReplayState_REPLAY_STATE_DONE,
		clickstreamv1.ReplayState_REPLAY_STATE_STOPPED,
		clickstreamv1.ReplayState_REPLAY_STATE_FAILED:
		return true
	}
	return false
}

func (a *app) stopReplay(ctx context.Context, client clickstreamv1.ProducerServiceClient) (*clickstreamv1.Replay, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := client.StopReplay(ctx, &clickstreamv1.StopReplayRequest{})
	if err != nil {
		return nil, rpcError("stop replay", err)
	}
	return resp.GetReplay(), nil
}

func (a *app) producerStopCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stop",
		Short: "Stop the running replay, flushing what was sent",
		Example: `  clickstream producer stop
  clickstream producer stop --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, closeConn, err := a.producerClient(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeConn()
			r, err := a.stopReplay(cmd.Context(), client)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, replayJSON(r))
			}
			return writeSummary(a.stdout, r)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the final state as JSON")
	return cmd
}

func (a *app) producerLogsCmd() *cobra.Command {
	return a.logsCmd("Print the log of the producer started on this machine",
		"  clickstream producer logs\n  clickstream producer logs -n 200 -f",
		func() []string { return []string{a.local.LogPath("producer")} })
}

// producerClient connects to the producer. With autostart, a loopback
// address that does not answer gets a producer process started here.
func (a *app) producerClient(ctx context.Context, autostart bool) (clickstreamv1.ProducerServiceClient, func(), error) {
	cfg, err := a.settings()
	if err != nil {
		return nil, nil, err
	}
	conn, err := cfg.GRPC.NewClient(cfg.ProducerAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("producer at %s: %w", cfg.ProducerAddr, err)
	}
	closeConn := func() { conn.Close() }
	if err := checkHealth(ctx, conn, 2*time.Second); err != nil {
		if !autostart || !config.IsLoopback(cfg.ProducerAddr) {
			closeConn()
			return nil, nil, fmt.Errorf("producer at %s is not reachable: %v", cfg.ProducerAddr, err)
		}
		if err := a.startLocal(ctx, "producer", cfg.ProducerAddr, conn); err != nil {
			closeConn()
			return nil, nil, err
		}
	}
	return clickstreamv1.NewProducerServiceClient(conn), closeConn, nil
}

// startLocal runs the named service binary here, listening on addr, and
// waits until it reports healthy.
func (a *app) startLocal(ctx context.Context, name, addr string, conn *grpc.ClientConn) error {
	bin, err := local.Binary(name)
	if err != nil {
		return err
	}
	p, err := a.local.Start(name, bin, []string{"GRPC_ADDR=" + addr})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "started %s (pid %d, log %s)\n", name, p.PID, p.Log)
	if err := checkHealth(ctx, conn, 20*time.Second); err != nil {
		return fmt.Errorf("%s did not become healthy at %s (see %s): %v", name, addr, p.Log, err)
	}
	return nil
}

// checkHealth waits up to timeout for the gRPC health service to answer
// SERVING.
func checkHealth(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := healthpb.NewHealthClient(conn)
	for {
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("health is %s", resp.GetStatus())
		}
		select {
		case <-ctx.Done():
			if s, ok := status.FromError(err); ok && s.Code() == codes.Unavailable {
				return errors.New("nothing answers")
			}
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// localPath makes a file that exists here absolute, so that a producer on
// this machine finds it whatever its working directory; other paths are
// passed as given, for a producer on another host.
func localPath(p string) string {
	if p == "" {
		return ""
	}
	if _, err := os.Stat(p); err == nil {
		return absPath(p)
	}
	return p
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// rpcError turns a gRPC error into one line for the operator.
func rpcError(what string, err error) error {
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("%s: %s", what, s.Message())
	}
	return fmt.Errorf("%s: %w", what, err)
}
