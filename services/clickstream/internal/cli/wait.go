package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/sql/migrations"
)

func (a *app) consumerWaitCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait [--timeout D]",
		Short: "Wait until PostgreSQL holds every record of the events topic",
		Long: `Wait until the offsets that pg-sink stored in PostgreSQL reach the end of
every partition of the events topic, showing progress on a terminal. Exits
non-zero when the timeout passes first.`,
		Example: `  clickstream consumer wait
  clickstream consumer wait --timeout 10m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return a.waitWritten(ctx)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	return cmd
}

// waitWritten polls the topic's end offsets and the offsets pg-sink stored
// until they meet.
func (a *app) waitWritten(ctx context.Context) error {
	cfg, err := a.settings()
	if err != nil {
		return err
	}
	client, err := kafka.NewClient(ctx, cfg.Kafka, nil)
	if err != nil {
		return err
	}
	defer client.Close()
	adm := kadm.NewClient(client)
	conn, err := pgx.Connect(ctx, cfg.PGURL.Reveal())
	if err != nil {
		return fmt.Errorf("postgres %s: %w", config.Mask(cfg.PGURL.Reveal()), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	bar := newProgressBar(a.stderr)
	defer bar.clear()
	for {
		ends, err := adm.ListEndOffsets(ctx, cfg.Kafka.Topic)
		if err != nil {
			return fmt.Errorf("list end offsets: %w", err)
		}
		var end, written, start int64
		starts, err := adm.ListStartOffsets(ctx, cfg.Kafka.Topic)
		if err != nil {
			return fmt.Errorf("list start offsets: %w", err)
		}
		ends.Each(func(o kadm.ListedOffset) { end += o.Offset })
		starts.Each(func(o kadm.ListedOffset) { start += o.Offset })
		err = conn.QueryRow(ctx, `SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets
			WHERE consumer_group = $1 AND topic = $2`, cfg.Groups[0], cfg.Kafka.Topic).Scan(&written)
		switch {
		case migrations.NotApplied(err):
			written = 0 // no pg-sink has created its tables yet
		case err != nil:
			return fmt.Errorf("read stored offsets: %w", err)
		}
		if written >= end {
			bar.clear()
			return a.printCounts(ctx, conn)
		}
		bar.fraction("writing", max(written-start, 0), end-start)
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL holds %s of %s records: %w", count(written-start), count(end-start), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (a *app) printCounts(ctx context.Context, conn *pgx.Conn) error {
	var events, sessions, converted int64
	err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sessions),
		(SELECT count(*) FROM sessions WHERE converted)`).Scan(&events, &sessions, &converted)
	if err != nil && !migrations.NotApplied(err) {
		return fmt.Errorf("count rows: %w", err)
	}
	fmt.Fprintf(a.stdout, "PostgreSQL holds %s events in %s sessions, %s of them with a purchase\n",
		count(events), count(sessions), count(converted))
	return nil
}
