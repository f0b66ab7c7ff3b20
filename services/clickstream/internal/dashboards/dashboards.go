// Package dashboards holds the OpenSearch Dashboards saved objects for the
// clickstream index (an index pattern, five visualizations and two
// dashboards) and imports them through the Dashboards saved-objects API.
//
// The objects live in saved_objects.ndjson, in the shape a Dashboards 2.x
// export has: JSON-in-string attributes (visState, panelsJSON,
// searchSourceJSON) whose index and panels point at references by name.
package dashboards

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sync"
)

//go:embed saved_objects.ndjson
var ndjson []byte

// NDJSON returns the saved objects, one JSON object a line, as the import
// API takes them.
func NDJSON() []byte {
	return bytes.Clone(ndjson)
}

// Object is one saved object, with what the tests and the CLI need to know
// about it.
type Object struct {
	ID         string
	Type       string // "index-pattern", "visualization" or "dashboard"
	Title      string
	References []Reference

	// TimeField is an index pattern's time field.
	TimeField string
	// Fields lists the index fields a visualization reads, in order.
	Fields []FieldUse
	// Panels lists the reference names a dashboard's panels point at.
	Panels []string
}

// Reference points from an object to another by type and id.
type Reference struct {
	Name string
	Type string
	ID   string
}

// FieldUse is one read of an index field by a visualization.
type FieldUse struct {
	Field string
	// By is the aggregation type that reads the field ("date_histogram",
	// "terms", ...), or "query" for a KQL query: the saved search's or an
	// input of a filters aggregation.
	By string
}

var objects = sync.OnceValues(func() ([]Object, error) {
	return parse(ndjson)
})

// Objects returns the saved objects in file order.
func Objects() []Object {
	objs, err := objects()
	if err != nil {
		panic(fmt.Sprintf("dashboards: embedded saved objects: %v", err))
	}
	return objs
}

// rawObject is a saved object as it is exported.
type rawObject struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes struct {
		Title         string `json:"title"`
		TimeFieldName string `json:"timeFieldName"`
		VisState      string `json:"visState"`
		PanelsJSON    string `json:"panelsJSON"`
		Meta          struct {
			SearchSourceJSON string `json:"searchSourceJSON"`
		} `json:"kibanaSavedObjectMeta"`
	} `json:"attributes"`
	References []struct {
		Name string `json:"name"`
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"references"`
}

func parse(b []byte) ([]Object, error) {
	var objs []Object
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		o, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func parseLine(line []byte) (Object, error) {
	var raw rawObject
	if err := json.Unmarshal(line, &raw); err != nil {
		return Object{}, err
	}
	if raw.ID == "" || raw.Type == "" || raw.Attributes.Title == "" {
		return Object{}, fmt.Errorf("object %q of type %q has no id, type or title", raw.ID, raw.Type)
	}
	o := Object{ID: raw.ID, Type: raw.Type, Title: raw.Attributes.Title, TimeField: raw.Attributes.TimeFieldName}
	for _, r := range raw.References {
		o.References = append(o.References, Reference{Name: r.Name, Type: r.Type, ID: r.ID})
	}

	var err error
	switch o.Type {
	case "visualization":
		o.Fields, err = visualizationFields(raw.Attributes.VisState, raw.Attributes.Meta.SearchSourceJSON)
	case "dashboard":
		o.Panels, err = panelRefs(raw.Attributes.PanelsJSON)
	}
	if err != nil {
		return Object{}, fmt.Errorf("%s %s: %w", o.Type, o.ID, err)
	}
	return o, nil
}

// visState is the part of a visualization's visState that names fields.
type visState struct {
	Aggs []struct {
		Type   string `json:"type"`
		Params struct {
			Field   string `json:"field"`
			Filters []struct {
				Input query `json:"input"`
			} `json:"filters"`
		} `json:"params"`
	} `json:"aggs"`
}

type query struct {
	Query    string `json:"query"`
	Language string `json:"language"`
}

func visualizationFields(visStateJSON, searchSourceJSON string) ([]FieldUse, error) {
	var vs visState
	if err := json.Unmarshal([]byte(visStateJSON), &vs); err != nil {
		return nil, fmt.Errorf("visState: %w", err)
	}
	var ss struct {
		Query query `json:"query"`
	}
	if err := json.Unmarshal([]byte(searchSourceJSON), &ss); err != nil {
		return nil, fmt.Errorf("searchSourceJSON: %w", err)
	}

	var uses []FieldUse
	for _, agg := range vs.Aggs {
		if agg.Params.Field != "" {
			uses = append(uses, FieldUse{Field: agg.Params.Field, By: agg.Type})
		}
		for _, f := range agg.Params.Filters {
			uses = append(uses, queryFields(f.Input.Query)...)
		}
	}
	return append(uses, queryFields(ss.Query.Query)...), nil
}

// kqlField matches the field of a KQL term such as event_type:view.
var kqlField = regexp.MustCompile(`([A-Za-z_@][A-Za-z0-9_.@]*)\s*:`)

func queryFields(q string) []FieldUse {
	var uses []FieldUse
	for _, m := range kqlField.FindAllStringSubmatch(q, -1) {
		uses = append(uses, FieldUse{Field: m[1], By: "query"})
	}
	return uses
}

func panelRefs(panelsJSON string) ([]string, error) {
	var panels []struct {
		PanelRefName string `json:"panelRefName"`
	}
	if err := json.Unmarshal([]byte(panelsJSON), &panels); err != nil {
		return nil, fmt.Errorf("panelsJSON: %w", err)
	}
	names := make([]string, 0, len(panels))
	for i, p := range panels {
		if p.PanelRefName == "" {
			return nil, fmt.Errorf("panel %d has no panelRefName", i)
		}
		names = append(names, p.PanelRefName)
	}
	return names, nil
}
