// Package cli implements the clickstream command line.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/clickstream/clickstream/services/clickstream/internal/local"
	"github.com/clickstream/clickstream/services/platform/config"
)

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &app{stdout: stdout, stderr: stderr, local: local.DefaultDir()}
	root := app.root()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			return int(exit)
		}
		fmt.Fprintf(stderr, "clickstream: %v\n", err)
		return 1
	}
	return 0
}

// exitError is returned by commands that report their failure themselves and
// only need a non-zero exit code.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// app holds what every command shares.
type app struct {
	stdout, stderr io.Writer
	local          local.Dir
	envFile        string
	cfg            *settings
}

// settings loads the CLI's settings on first use, so that commands that need
// none (help, version, data generate) work without any.
func (a *app) settings() (*settings, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	getenv, err := config.Environ(a.envFile)
	if err != nil {
		return nil, err
	}
	env := config.NewEnv(getenv)
	cfg := readSettings(env)
	if err := env.Err(); err != nil {
		return nil, fmt.Errorf("invalid settings:\n%w", err)
	}
	a.cfg = &cfg
	return a.cfg, nil
}

// interactive reports whether w is a terminal: colour, progress and prompts
// appear only then.
func interactive(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "clickstream",
		Short: "Operate the clickstream pipeline",
		Long: `clickstream drives the pipeline: the producer that replays click events into
Kafka, the sinks that write them to PostgreSQL and OpenSearch, and the
analytics service that answers funnel questions.

Settings come from the environment and from a .env file in the working
directory (make up writes one for the local servers); the environment wins.`,
		Example: `  clickstream data generate --rows 100000 --out data/events.csv
  clickstream producer start --limit 10000 --wait
  clickstream producer start --realtime 5x`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.envFile, "env-file", ".env", "dotenv file to read settings from")
	root.AddCommand(a.versionCmd(), a.producerCmd(), a.consumerCmd(), a.dataCmd(), a.localCmd())
	root.AddCommand(a.opensearchCmd(), a.analyticsCmd(), a.statusCmd())
	root.AddCommand(a.configCmd(), a.benchmarkCmd())
	return root
}

// version is set at build time with -ldflags "-X ...cli.version=...".
var version = "dev"

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.stdout, version)
			return err
		},
	}
}
