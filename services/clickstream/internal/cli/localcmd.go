package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// stopGrace is how long a service gets to stop after SIGTERM; the services
// promise to stop within 10 seconds.
const stopGrace = 12 * time.Second

// alwaysOn are the services that run for as long as the stack does; the
// sinks are started by `consumer start`.
var alwaysOn = []string{"producer", "analytics"}

func (a *app) localCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run the services on this machine (make up and make down use these)",
		Long: `Start and stop the pipeline's service processes on this machine, from the
binaries next to clickstream (bin/ after make build). Logs go to
.local/logs and pid files to .local/run (CLICKSTREAM_LOCAL_DIR moves both).`,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:     "up",
			Short:   "Start the long-running services that are not running yet",
			Example: "  clickstream local up",
			Args:    cobra.NoArgs,
			RunE:    func(cmd *cobra.Command, _ []string) error { return a.localUp(cmd.Context()) },
		},
		&cobra.Command{
			Use:     "down",
			Short:   "Stop every service process started on this machine",
			Example: "  clickstream local down",
			Args:    cobra.NoArgs,
			RunE:    func(cmd *cobra.Command, _ []string) error { return a.localDown("") },
		},
		&cobra.Command{
			Use:     "ps",
			Short:   "List the service processes running on this machine",
			Example: "  clickstream local ps",
			Args:    cobra.NoArgs,
			RunE:    func(cmd *cobra.Command, _ []string) error { return a.localPS() },
		},
	)
	return cmd
}

func (a *app) localUp(ctx context.Context) error {
	cfg, err := a.settings()
	if err != nil {
		return err
	}
	addrs := map[string]string{"producer": cfg.ProducerAddr, "analytics": cfg.AnalyticsAddr}
	for _, name := range alwaysOn {
		if p, ok := a.local.Find(name); ok {
			fmt.Fprintf(a.stdout, "%s already running (pid %d)\n", name, p.PID)
			continue
		}
		conn, err := cfg.GRPC.NewClient(addrs[name])
		if err != nil {
			return err
		}
		err = a.startLocal(ctx, name, addrs[name], conn)
		conn.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// localDown stops the local processes whose names start with prefix, all
// of them for "".
func (a *app) localDown(prefix string) error {
	for _, p := range a.local.List(prefix) {
		if err := a.local.Stop(p.Name, stopGrace); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "stopped %s (pid %d)\n", p.Name, p.PID)
	}
	return nil
}

func (a *app) localPS() error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPID\tLOG")
	for _, p := range a.local.List("") {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", p.Name, p.PID, p.Log)
	}
	return tw.Flush()
}
