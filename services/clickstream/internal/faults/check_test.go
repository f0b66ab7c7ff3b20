package faults

import (
	"encoding/json"
	"testing"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/oracle"
	"github.com/clickstream/clickstream/services/platform/searchindex"
)

// The spot check expects what the search-sink writes: the id and document
// of docs/search-sink.md's example, as searchindex and event build them.
func TestSpotCheckExpectsWhatTheSinkWrites(t *testing.T) {
	txn := int64(4000)
	o := oracle.Event{Visitor: 992329, TimeMs: 1433224214164, Type: oracle.Transaction, Item: 248676, Txn: &txn}
	e := event.Event{Visitor: 992329, TimeMs: 1433224214164, Type: event.Transaction, Item: 248676, Txn: 4000, HasTxn: true}

	if got, want := docID(o), string(e.AppendID(nil)); got != want || got != "992329-1433224214164-transaction-248676" {
		t.Errorf("docID = %q; the sink's id is %q", got, want)
	}
	var written searchDoc
	if err := json.Unmarshal(searchindex.AppendDoc(nil, &e), &written); err != nil {
		t.Fatal(err)
	}
	if got := wantDoc(o); got != written {
		t.Errorf("wantDoc = %+v; the sink writes %+v", got, written)
	}

	o.Txn, e.HasTxn, e.Type, o.Type = nil, false, event.View, oracle.View
	var view searchDoc
	if err := json.Unmarshal(searchindex.AppendDoc(nil, &e), &view); err != nil {
		t.Fatal(err)
	}
	if got := wantDoc(o); got != view || got.TransactionID != "" {
		t.Errorf("without a transaction: wantDoc = %+v; the sink writes %+v", got, view)
	}
}
