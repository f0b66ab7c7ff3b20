package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/clickstream/clickstream/services/platform/searchindex"
)

func TestEveryLineParses(t *testing.T) {
	lines := bytes.Split(bytes.TrimSpace(NDJSON()), []byte("\n"))
	if len(lines) != 8 {
		t.Fatalf("%d lines, want 8: an index pattern, 5 visualizations, 2 dashboards", len(lines))
	}
	for i, line := range lines {
		t.Run(fmt.Sprintf("line %d", i+1), func(t *testing.T) {
			if _, err := parseLine(line); err != nil {
				t.Fatal(err)
			}
		})
	}
	counts := map[string]int{}
	for _, o := range Objects() {
		counts[o.Type]++
	}
	want := map[string]int{"index-pattern": 1, "visualization": 5, "dashboard": 2}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("objects by type = %v, want %v", counts, want)
	}
}

func TestIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Objects() {
		if seen[o.ID] {
			t.Errorf("id %q appears twice", o.ID)
		}
		seen[o.ID] = true
	}
}

func TestEveryReferenceResolves(t *testing.T) {
	types := map[string]string{}
	for _, o := range Objects() {
		types[o.ID] = o.Type
	}
	for _, o := range Objects() {
		for _, r := range o.References {
			if got, ok := types[r.ID]; !ok || got != r.Type {
				t.Errorf("%s %s: reference %s to %s %q is not in the file", o.Type, o.ID, r.Name, r.Type, r.ID)
			}
		}
		if o.Type == "visualization" {
			want := []Reference{{Name: "kibanaSavedObjectMeta.searchSourceJSON.index", Type: "index-pattern", ID: "clickstream-events"}}
			if !slices.Equal(o.References, want) {
				t.Errorf("visualization %s references %v, want %v", o.ID, o.References, want)
			}
		}
	}
}

func TestIndexPatternMatchesTheMapping(t *testing.T) {
	var ip Object
	for _, o := range Objects() {
		if o.Type == "index-pattern" {
			ip = o
		}
	}
	if ip.ID != "clickstream-events" || ip.Title != searchindex.Index+"*" || ip.TimeField != "event_time" {
		t.Fatalf("index pattern = %s %q time %q, want clickstream-events %q time event_time",
			ip.ID, ip.Title, ip.TimeField, searchindex.Index+"*")
	}

	// The pattern lists its fields, so that Dashboards need not fetch them
	// before the first event is indexed; they must be the mapped ones.
	var raw struct {
		Attributes struct {
			Fields string `json:"fields"`
		} `json:"attributes"`
	}
	line, _, _ := bytes.Cut(NDJSON(), []byte("\n"))
	if err := json.Unmarshal(line, &raw); err != nil {
		t.Fatal(err)
	}
	var fields []struct {
		Name    string   `json:"name"`
		Type    string   `json:"type"`
		ESTypes []string `json:"esTypes"`
	}
	if err := json.Unmarshal([]byte(raw.Attributes.Fields), &fields); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fields {
		if f.Name[0] == '_' {
			continue // meta fields
		}
		if len(f.ESTypes) != 1 || osdType(f.ESTypes[0]) != f.Type {
			t.Errorf("field %s has type %s and esTypes %v", f.Name, f.Type, f.ESTypes)
			continue
		}
		got[f.Name] = f.ESTypes[0]
	}
	if want := searchindex.Fields(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("index pattern fields = %v, mapping = %v", got, want)
	}
}

// osdType is the Dashboards field type of an OpenSearch field type.
func osdType(esType string) string {
	switch esType {
	case "keyword", "text":
		return "string"
	}
	return esType
}

func TestVisualizationsReadMappedFields(t *testing.T) {
	mapped := searchindex.Fields()
	tests := []struct {
		name string
		id   string
		want []FieldUse
	}{
		{name: "events over time", id: "clickstream-events-over-time",
			want: []FieldUse{{"event_time", "date_histogram"}, {"event_type", "terms"}}},
		{name: "event types", id: "clickstream-event-types",
			want: []FieldUse{{"event_type", "terms"}}},
		{name: "conversion funnel", id: "clickstream-conversion-funnel",
			want: []FieldUse{{"event_type", "query"}, {"event_type", "query"}, {"event_type", "query"}}},
		{name: "top viewed items", id: "clickstream-top-viewed-items",
			want: []FieldUse{{"item_id", "terms"}, {"event_type", "query"}}},
		{name: "top purchased items", id: "clickstream-top-purchased-items",
			want: []FieldUse{{"item_id", "terms"}, {"event_type", "query"}}},
	}
	checked := map[string]bool{}
	for _, tc := range tests {
		checked[tc.id] = true
		t.Run(tc.name, func(t *testing.T) {
			o := object(t, tc.id)
			if !slices.Equal(o.Fields, tc.want) {
				t.Fatalf("fields = %v, want %v", o.Fields, tc.want)
			}
			for _, u := range o.Fields {
				typ, ok := mapped[u.Field]
				wantType := map[string]string{"date_histogram": "date", "terms": "keyword"}[u.By]
				switch {
				case !ok:
					t.Errorf("%s reads %s, which the mapping lacks", u.By, u.Field)
				case wantType != "" && typ != wantType:
					t.Errorf("%s reads %s of type %s, want %s", u.By, u.Field, typ, wantType)
				}
			}
		})
	}
	for _, o := range Objects() {
		if o.Type == "visualization" && !checked[o.ID] {
			t.Errorf("visualization %s is not checked here", o.ID)
		}
	}
}

func TestDashboardsReferenceWhatTheyPlace(t *testing.T) {
	tests := []struct {
		name  string
		id    string
		title string
		want  []string
	}{
		{name: "traffic", id: "clickstream-traffic", title: "Clickstream traffic",
			want: []string{"clickstream-events-over-time", "clickstream-event-types", "clickstream-top-viewed-items"}},
		{name: "conversion", id: "clickstream-conversion", title: "Clickstream conversion",
			want: []string{"clickstream-conversion-funnel", "clickstream-top-purchased-items"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := object(t, tc.id)
			if o.Title != tc.title {
				t.Errorf("title = %q, want %q", o.Title, tc.title)
			}
			var names, ids []string
			for _, r := range o.References {
				if r.Type != "visualization" {
					t.Errorf("reference %s is to a %s", r.Name, r.Type)
				}
				names = append(names, r.Name)
				ids = append(ids, r.ID)
			}
			if !slices.Equal(names, o.Panels) {
				t.Errorf("references %v, panels %v: want one reference per panel", names, o.Panels)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("places %v, want %v", ids, tc.want)
			}
		})
	}
}

func object(t *testing.T, id string) Object {
	t.Helper()
	for _, o := range Objects() {
		if o.ID == id {
			return o
		}
	}
	t.Fatalf("no object %q", id)
	return Object{}
}
