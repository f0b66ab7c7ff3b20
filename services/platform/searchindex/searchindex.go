// Package searchindex holds what the search-sink and the CLI agree on about
// the OpenSearch index: its name, the index template with explicit
// mappings, and the document written for each event.
package searchindex

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/clickstream/clickstream/services/platform/event"
)

// Index is the index the search-sink writes; the template covers every
// index whose name starts with it.
const Index = "clickstream-events"

// TemplateName names the index template.
const TemplateName = "clickstream-events"

//go:embed template.json
var templateJSON []byte

// Template returns the index template body with the given replica count.
// Identifiers are keywords, because terms aggregations (top items) work on
// keywords; the event time is a date in epoch milliseconds; unknown fields
// are refused.
func Template(replicas int) []byte {
	var t map[string]any
	if err := json.Unmarshal(templateJSON, &t); err != nil {
		panic(fmt.Sprintf("searchindex: embedded template: %v", err))
	}
	settings := t["template"].(map[string]any)["settings"].(map[string]any)
	settings["number_of_replicas"] = replicas
	b, _ := json.Marshal(t)
	return b
}

// Fields returns the mapped field names and their types.
func Fields() map[string]string {
	var t struct {
		Template struct {
			Mappings struct {
				Properties map[string]struct {
					Type string `json:"type"`
				} `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(templateJSON, &t); err != nil {
		panic(fmt.Sprintf("searchindex: embedded template: %v", err))
	}
	out := make(map[string]string)
	for name, p := range t.Template.Mappings.Properties {
		out[name] = p.Type
	}
	return out
}

// ApplyTemplate creates or replaces the index template.
func ApplyTemplate(ctx context.Context, client *opensearchapi.Client, replicas int) error {
	_, err := client.IndexTemplate.Create(ctx, opensearchapi.IndexTemplateCreateReq{
		IndexTemplate: TemplateName,
		Body:          bytes.NewReader(Template(replicas)),
	})
	if err != nil {
		return fmt.Errorf("put index template %s: %w", TemplateName, err)
	}
	return nil
}

// AppendDoc appends the JSON document of e.
func AppendDoc(b []byte, e *event.Event) []byte {
	b = append(b, `{"event_time":`...)
	b = strconv.AppendInt(b, e.TimeMs, 10)
	b = append(b, `,"visitor_id":"`...)
	b = strconv.AppendInt(b, e.Visitor, 10)
	b = append(b, `","event_type":"`...)
	b = append(b, e.Type.String()...)
	b = append(b, `","item_id":"`...)
	b = strconv.AppendInt(b, e.Item, 10)
	b = append(b, '"')
	if e.HasTxn {
		b = append(b, `,"transaction_id":"`...)
		b = strconv.AppendInt(b, e.Txn, 10)
		b = append(b, '"')
	}
	return append(b, '}')
}

// EnsureIndex creates the index unless it exists, so that the template's
// mappings hold from the first document on, and reports whether it did.
func EnsureIndex(ctx context.Context, client *opensearchapi.Client, index string) (bool, error) {
	_, err := client.Indices.Create(ctx, opensearchapi.IndicesCreateReq{Index: index})
	var apiErr *opensearch.StructError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &apiErr) && apiErr.Err.Type == "resource_already_exists_exception":
		return false, nil
	}
	return false, fmt.Errorf("create index %s: %w", index, err)
}
