package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/clickstream/clickstream/services/platform/searchindex"
)

// Prepare applies the index template and creates the index when missing,
// so that the sink works before anyone ran `clickstream opensearch init`.
func Prepare(ctx context.Context, client *opensearchapi.Client, index string, replicas int) error {
	if err := searchindex.ApplyTemplate(ctx, client, replicas); err != nil {
		return err
	}
	_, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: index})
	var se *opensearch.StructError
	if errors.As(err, &se) && se.Err.Type == "resource_already_exists_exception" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create index %s: %w", index, err)
	}
	return nil
}
