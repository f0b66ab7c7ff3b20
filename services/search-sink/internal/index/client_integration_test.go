package index

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/clickstream/clickstream/services/platform/testenv"
)

func TestIntegrationCreateBulkSearch(t *testing.T) {
	url := testenv.Lookup(t, "OPENSEARCH_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	client, err := NewClient(ctx, Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("test-bulk-%d", time.Now().UnixNano())
	mapping := `{"settings":{"number_of_shards":1,"number_of_replicas":0},
		"mappings":{"properties":{"event_type":{"type":"keyword"},"item_id":{"type":"long"}}}}`
	if _, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{
		Index: name, Body: strings.NewReader(mapping),
	}); err != nil {
		t.Fatalf("create index: %v", err)
	}
	t.Cleanup(func() {
		client.Indices.Delete(context.Background(), opensearchapi.IndicesDeleteReq{Indices: []string{name}})
	})

	var body strings.Builder
	for i, typ := range []string{"view", "view", "addtocart", "view"} {
		// Document 3 repeats id 1: a replay must not add a document.
		id := i
		if i == 3 {
			id = 1
		}
		fmt.Fprintf(&body, `{"index":{"_id":"e%d"}}`+"\n", id)
		fmt.Fprintf(&body, `{"event_type":%q,"item_id":%d}`+"\n", typ, 100+i)
	}
	resp, err := client.Bulk(ctx, opensearchapi.BulkReq{
		Index:  name,
		Body:   strings.NewReader(body.String()),
		Params: opensearchapi.BulkParams{Refresh: "true"},
	})
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if resp.Errors {
		t.Fatalf("bulk reported item errors: %+v", resp.Items)
	}

	query := `{"query":{"term":{"event_type":"view"}}}`
	res, err := client.Search(ctx, &opensearchapi.SearchReq{
		Indices: []string{name}, Body: strings.NewReader(query),
	})
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if got := res.Hits.Total.Value; got != 2 {
		t.Fatalf("views found = %d, want 2 (e0 and the re-indexed e1)", got)
	}
	all, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{name}})
	if err != nil {
		t.Fatalf("search all: %v", err)
	}
	if got := all.Hits.Total.Value; got != 3 {
		t.Fatalf("documents = %d, want 3", got)
	}
}
