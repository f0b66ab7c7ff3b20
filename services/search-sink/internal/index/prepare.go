package index

import (
	"context"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/clickstream/clickstream/services/platform/searchindex"
)

// Prepare applies the index template and creates the index when missing,
// so that the sink works before anyone ran `clickstream opensearch init`.
func Prepare(ctx context.Context, client *opensearchapi.Client, index string, replicas int) error {
	if err := searchindex.ApplyTemplate(ctx, client, replicas); err != nil {
		return err
	}
	_, err := searchindex.EnsureIndex(ctx, client, index)
	return err
}
