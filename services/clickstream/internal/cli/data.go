package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clickstream/clickstream/services/clickstream/internal/datagen"
)

func (a *app) dataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Generate input data, or empty what the pipeline wrote",
	}
	cmd.AddCommand(a.dataGenerateCmd(), a.dataResetCmd())
	return cmd
}

func (a *app) dataGenerateCmd() *cobra.Command {
	var rows int
	var seed int64
	var out string
	cmd := &cobra.Command{
		Use:   "generate [--rows N] [--seed S] --out FILE",
		Short: "Write a synthetic events file in RetailRocket's shape",
		Long: `Write a deterministic events file with RetailRocket's header and statistics:
at full size 2,756,101 rows from about 1.4M visitors and 235k items over
about 4.5 months, 96.7% views, 2.5% add-to-cart and 0.8% transactions, with
realistic sessions, a few exact duplicates and rows not in time order. The
same --rows and --seed give the same bytes. A name ending in .gz is gzipped.`,
		Example: `  clickstream data generate --out data/events.csv
  clickstream data generate --rows 100000 --seed 7 --out /tmp/small.csv.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.generate(cmd.Context(), out, datagen.Options{Rows: rows, Seed: seed})
		},
	}
	cmd.Flags().IntVar(&rows, "rows", datagen.FullRows, "data rows to write")
	cmd.Flags().Int64Var(&seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&out, "out", "", "file to write (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (a *app) generate(ctx context.Context, out string, opt datagen.Options) error {
	if opt.Rows <= 0 {
		return fmt.Errorf("--rows must be positive, got %d", opt.Rows)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	// Write beside the target and rename, so that an interrupted run never
	// leaves a truncated file under the final name.
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}

	start := time.Now()
	bar := newProgressBar(a.stderr)
	opt.Progress = func(n int) { bar.fraction("writing", int64(n), int64(opt.Rows)) }
	w, finish := compressFor(out, tmp)
	stats, err := datagen.Write(ctx, w, opt)
	bar.clear()
	if err == nil {
		err = finish()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return fmt.Errorf("generate %s: %w", out, err)
	}
	fmt.Fprintf(a.stdout, "wrote %s: %s rows (%s views, %s add-to-cart, %s transactions, %s duplicates), %s visitors, %s items in %s\n",
		out, count(int64(stats.Rows)), count(int64(stats.Views)), count(int64(stats.Carts)),
		count(int64(stats.Transactions)), count(int64(stats.Duplicates)), count(int64(stats.Visitors)),
		count(int64(stats.Items)), time.Since(start).Round(10*time.Millisecond))
	return nil
}

func (a *app) dataResetCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "reset [-y]",
		Short: "Empty everything the pipeline wrote",
		Long: `Empty everything the pipeline wrote: the records of the events topic and of
the dead-letter topic are deleted (the topics stay, so running services
carry on), the events, sessions and stored offsets in PostgreSQL are
truncated, the cached session states in Valkey are deleted, and the
OpenSearch index is deleted and created again empty. Without -y
it asks first, and refuses when it cannot ask (no terminal).`,
		Example: `  clickstream data reset
  clickstream data reset -y`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !yes {
				ok, err := a.confirm(cmd.InOrStdin(), "This deletes every event in the pipeline. Type yes to go on: ")
				if err != nil || !ok {
					return errors.Join(errors.New("reset cancelled"), err)
				}
			}
			return a.reset(cmd.Context())
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) confirm(in io.Reader, prompt string) (bool, error) {
	if f, ok := in.(*os.File); !ok || !interactive(f) || !interactive(a.stderr) {
		return false, errors.New("not a terminal: pass -y to confirm")
	}
	fmt.Fprint(a.stderr, prompt)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}

func (a *app) reset(ctx context.Context) error {
	cfg, err := a.settings()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	steps := []struct {
		name string
		run  func(context.Context, *settings) (string, error)
	}{
		{"kafka", resetKafka},
		{"postgresql", resetPostgres},
		{"valkey", resetValkey},
		{"opensearch", resetOpenSearch},
	}
	for _, st := range steps {
		did, err := st.run(ctx, cfg)
		if err != nil {
			return fmt.Errorf("reset %s: %w", st.name, err)
		}
		fmt.Fprintf(a.stdout, "%-11s %s\n", st.name, did)
	}
	return nil
}
