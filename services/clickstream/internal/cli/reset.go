package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/valkey-io/valkey-go"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/searchindex"
)

// resetKafka deletes every record of the events and dead-letter topics and
// the sink groups' committed offsets where no member holds them.
func resetKafka(ctx context.Context, cfg *settings) (string, error) {
	client, err := kafka.NewClient(ctx, cfg.Kafka, nil)
	if err != nil {
		return "", err
	}
	defer client.Close()
	adm := kadm.NewClient(client)

	ends, err := adm.ListEndOffsets(ctx, cfg.Kafka.Topic, cfg.DLQTopic)
	if err != nil {
		return "", fmt.Errorf("list end offsets: %w", err)
	}
	var offsets kadm.Offsets
	var deleted int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return // a topic that does not exist has nothing to delete
		}
		offsets.AddOffset(o.Topic, o.Partition, o.Offset, -1)
	})
	if len(offsets) > 0 {
		starts, err := adm.ListStartOffsets(ctx, cfg.Kafka.Topic, cfg.DLQTopic)
		if err != nil {
			return "", fmt.Errorf("list start offsets: %w", err)
		}
		resp, err := adm.DeleteRecords(ctx, offsets)
		if err != nil {
			return "", fmt.Errorf("delete records: %w", err)
		}
		if err := resp.Error(); err != nil {
			return "", fmt.Errorf("delete records: %w", err)
		}
		starts.Each(func(o kadm.ListedOffset) {
			if end, ok := ends.Lookup(o.Topic, o.Partition); ok && o.Err == nil && end.Err == nil {
				deleted += end.Offset - o.Offset
			}
		})
	}
	for _, g := range cfg.Groups {
		if err := deleteGroupOffsets(ctx, adm, g, cfg.Kafka.Topic); err != nil {
			return "", fmt.Errorf("delete offsets of group %s: %w", g, err)
		}
	}
	return fmt.Sprintf("deleted %s records from %s and %s", count(deleted), cfg.Kafka.Topic, cfg.DLQTopic), nil
}

// deleteGroupOffsets deletes the group's committed offsets for the topic.
// A group that does not exist has none; one with members keeps them. A
// coordinator that is still loading or has moved, as on a broker that has
// just started, is asked again until ctx ends.
func deleteGroupOffsets(ctx context.Context, adm *kadm.Client, group, topic string) error {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		resp, err := adm.DeleteOffsets(ctx, group, kadm.TopicsSet{topic: nil})
		if err == nil {
			err = resp.Error()
		}
		switch {
		case err == nil, errors.Is(err, kerr.GroupIDNotFound), errors.Is(err, kerr.GroupSubscribedToTopic):
			return nil
		case !errors.Is(err, kerr.NotCoordinator) && !errors.Is(err, kerr.CoordinatorLoadInProgress) &&
			!errors.Is(err, kerr.CoordinatorNotAvailable):
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// resetPostgres truncates the pipeline's tables in one transaction. A sink
// writing at the same time finds its stored offset gone and starts over
// from the topic, which is empty now.
func resetPostgres(ctx context.Context, cfg *settings) (string, error) {
	if cfg.PGURL == "" {
		return "skipped: PG_URL is not set", nil
	}
	conn, err := pgx.Connect(ctx, cfg.PGURL.Reveal())
	if err != nil {
		return "", fmt.Errorf("postgres %s: %w", config.Mask(cfg.PGURL.Reveal()), err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('events') IS NOT NULL").Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		return "nothing to empty: no tables yet", nil
	}
	if _, err := conn.Exec(ctx, "TRUNCATE events, sessions, consumer_offsets"); err != nil {
		return "", err
	}
	return "truncated events, sessions and consumer_offsets", nil
}

// resetValkey deletes the cached session states and markers.
func resetValkey(ctx context.Context, cfg *settings) (string, error) {
	if cfg.ValkeyURL == "" {
		return "skipped: VALKEY_URL is not set", nil
	}
	opt, err := valkey.ParseURL(cfg.ValkeyURL.Reveal())
	if err != nil {
		return "", fmt.Errorf("VALKEY_URL: %w", err)
	}
	client, err := valkey.NewClient(opt)
	if err != nil {
		return "", fmt.Errorf("valkey %s: %w", opt.InitAddress, err)
	}
	defer client.Close()
	n := 0
	var cursor uint64
	for {
		res, err := client.Do(ctx, client.B().Scan().Cursor(cursor).Match(cfg.ValkeyPrefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return "", fmt.Errorf("valkey %s: %w", opt.InitAddress, err)
		}
		if len(res.Elements) > 0 {
			if err := client.Do(ctx, client.B().Unlink().Key(res.Elements...).Build()).Error(); err != nil {
				return "", err
			}
			n += len(res.Elements)
		}
		if cursor = res.Cursor; cursor == 0 {
			break
		}
	}
	return fmt.Sprintf("deleted %s keys", count(int64(n))), nil
}

// resetOpenSearch deletes the index and creates it again, empty, under the
// template. A running search-sink carries on writing into the new index.
func resetOpenSearch(ctx context.Context, cfg *settings) (string, error) {
	if cfg.OpenSearch.URL == "" {
		return "skipped: OPENSEARCH_URL is not set", nil
	}
	client, err := openSearchClient(ctx, cfg.OpenSearch)
	if err != nil {
		return "", err
	}
	_, err = client.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{Indices: []string{cfg.OpenSearch.Index}})
	var apiErr *opensearch.StructError
	if err != nil && !(errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound) {
		return "", fmt.Errorf("delete index %s: %w", cfg.OpenSearch.Index, err)
	}
	if err := searchindex.ApplyTemplate(ctx, client, cfg.OpenSearch.Replicas); err != nil {
		return "", err
	}
	if _, err := searchindex.EnsureIndex(ctx, client, cfg.OpenSearch.Index); err != nil {
		return "", err
	}
	return "index " + cfg.OpenSearch.Index + " emptied", nil
}
