package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/kafka"
)

// recreateTopic creates a topic just deleted. Deletion finishes in the
// background, so creation is retried while the old topic still exists.
func recreateTopic(ctx context.Context, client *kgo.Client, spec kafka.TopicSpec) (int, error) {
	adm := kadm.NewClient(client)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		resp, err := adm.CreateTopic(ctx, spec.Partitions, spec.Replication, nil, spec.Name)
		if err == nil {
			err = resp.Err
		}
		if err == nil {
			break
		}
		if !errors.Is(err, kerr.TopicAlreadyExists) {
			return 0, fmt.Errorf("create topic %s: %w", spec.Name, err)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("topic %s still being deleted: %w", spec.Name, ctx.Err())
		case <-time.After(wait):
		}
	}
	return kafka.EnsureTopic(ctx, client, spec)
}
