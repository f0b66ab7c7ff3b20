package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/config"
)

func TestSinkAddrs(t *testing.T) {
	read := func(v string) (settings, error) {
		vars := map[string]string{"PG_URL": "postgres://h/db", "KAFKA_BROKERS": "k:9092", "STATUS_SINK_ADDRS": v}
		env := config.NewEnv(func(k string) string { return vars[k] })
		s := readSettings(env)
		return s, env.Err()
	}
	s, err := read("pg-sink-a=10.0.0.5:50052, search-sink:50053")
	if err != nil {
		t.Fatal(err)
	}
	want := []namedAddr{{"pg-sink-a", "10.0.0.5:50052"}, {"search-sink:50053", "search-sink:50053"}}
	if !reflect.DeepEqual(s.SinkAddrs, want) {
		t.Fatalf("SinkAddrs = %v, want %v", s.SinkAddrs, want)
	}
	got := services(s)
	if len(got) != 3 || got[1].Name != "pg-sink-a" || got[1].Optional || got[2].Addr != "search-sink:50053" {
		t.Errorf("services = %+v", got)
	}
	for _, bad := range []string{"pg-sink=10.0.0.5", "=h:1", "nohost"} {
		if _, err := read(bad); err == nil || !strings.Contains(err.Error(), "STATUS_SINK_ADDRS") {
			t.Errorf("%q: error %v does not name STATUS_SINK_ADDRS", bad, err)
		}
	}
	s, err = read("")
	if err != nil {
		t.Fatal(err)
	}
	if got := services(s); len(got) != 1+2*s.SinkReplicas || !got[1].Optional {
		t.Errorf("without STATUS_SINK_ADDRS: %d services, want the local replica ports", len(got))
	}
}

func TestMaxStaleness(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		bad   bool
	}{{"", DefaultMaxStaleness, false}, {"0", 0, false}, {"500ms", 500 * time.Millisecond, false}, {"soon", 0, true}, {"-1s", 0, true}} {
		vars := map[string]string{"PG_URL": "postgres://h/db", "KAFKA_BROKERS": "k:9092", "ANALYTICS_MAX_STALENESS": tc.value}
		env := config.NewEnv(func(k string) string { return vars[k] })
		s := readSettings(env)
		if err := env.Err(); (err != nil) != tc.bad {
			t.Errorf("%q: error %v", tc.value, err)
		} else if !tc.bad && s.MaxStaleness != tc.want {
			t.Errorf("%q: %v, want %v", tc.value, s.MaxStaleness, tc.want)
		}
	}
}

func TestParallelWorkers(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int
		bad   bool
	}{{"", 0, false}, {"2", 2, false}, {"-1", 0, true}, {"many", 0, true}} {
		vars := map[string]string{"PG_URL": "postgres://h/db", "KAFKA_BROKERS": "k:9092", "ANALYTICS_PG_PARALLEL_WORKERS": tc.value}
		env := config.NewEnv(func(k string) string { return vars[k] })
		s := readSettings(env)
		if err := env.Err(); (err != nil) != tc.bad {
			t.Errorf("%q: error %v", tc.value, err)
		} else if !tc.bad && s.ParallelWorkers != tc.want {
			t.Errorf("%q: %d, want %d", tc.value, s.ParallelWorkers, tc.want)
		}
	}
}
