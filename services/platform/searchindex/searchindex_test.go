package searchindex

import (
	"encoding/json"
	"testing"

	"github.com/clickstream/clickstream/services/platform/event"
)

func TestAppendDocIsMappedJSON(t *testing.T) {
	fields := Fields()
	for _, e := range []event.Event{
		{TimeMs: 1433221332117, Visitor: 257597, Type: event.View, Item: 355908},
		{TimeMs: 1433224214164, Visitor: 992329, Type: event.Transaction, Item: 248676, Txn: 4000, HasTxn: true},
	} {
		var doc map[string]any
		if err := json.Unmarshal(AppendDoc(nil, &e), &doc); err != nil {
			t.Fatalf("AppendDoc(%+v) is not JSON: %v", e, err)
		}
		for name := range doc {
			if _, ok := fields[name]; !ok {
				t.Fatalf("field %q is not in the mapping %v", name, fields)
			}
		}
		if doc["event_type"] != e.Type.String() || doc["event_time"] != float64(e.TimeMs) {
			t.Fatalf("doc = %v", doc)
		}
		if _, ok := doc["transaction_id"]; ok != e.HasTxn {
			t.Fatalf("transaction_id present = %v, want %v", ok, e.HasTxn)
		}
	}
}

func TestTemplateReplicas(t *testing.T) {
	var tpl struct {
		Template struct {
			Settings map[string]any `json:"settings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(Template(2), &tpl); err != nil {
		t.Fatal(err)
	}
	if tpl.Template.Settings["number_of_replicas"] != float64(2) {
		t.Fatalf("settings = %v", tpl.Template.Settings)
	}
	if Fields()["event_time"] != "date" || Fields()["item_id"] != "keyword" {
		t.Fatalf("fields = %v", Fields())
	}
}
