package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/clickstream/clickstream/services/platform/searchindex"
	"github.com/clickstream/clickstream/services/platform/testenv"
)

// closedAddr returns a loopback host:port where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// setOpenSearchEnv points the settings at the given servers and nothing else.
func setOpenSearchEnv(t *testing.T, openSearchURL, dashboardsURL string) {
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:1")
	t.Setenv("OPENSEARCH_URL", openSearchURL)
	t.Setenv("OPENSEARCH_DASHBOARDS_URL", dashboardsURL)
	t.Setenv("OPENSEARCH_USER", "")
	t.Setenv("OPENSEARCH_PASSWORD", "")
	t.Setenv("OPENSEARCH_REPLICAS", "1")
}

func TestOpenSearchInitUnreachableIsOneClearLine(t *testing.T) {
	url := "http://" + closedAddr(t)
	setOpenSearchEnv(t, url, "http://"+closedAddr(t))
	for _, args := range [][]string{{"opensearch", "init"}, {"opensearch", "init", "--json"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), append([]string{"--env-file", "/nonexistent"}, args...), &stdout, &stderr)
			if code == 0 {
				t.Fatal("opensearch init succeeded against an unreachable OpenSearch")
			}
			msg := strings.TrimSpace(stderr.String())
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "OpenSearch at "+url+" is not reachable") {
				t.Fatalf("stderr = %q, want one line naming OpenSearch and its URL", msg)
			}
			if stdout.Len() != 0 {
				t.Fatalf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}

// fakeOpenSearch answers the requests opensearch init makes, as OpenSearch
// 2.19 does when the index exists, and fails the test on any other.
func fakeOpenSearch(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/":
			io.WriteString(w, `{"name":"fake","cluster_name":"clickstream","version":{"distribution":"opensearch","number":"2.19.6"}}`)
		case r.Method == http.MethodPut && r.URL.Path == "/_index_template/clickstream-events":
			var tpl struct {
				Template struct {
					Settings map[string]any `json:"settings"`
				} `json:"template"`
			}
			if err := json.NewDecoder(r.Body).Decode(&tpl); err != nil || tpl.Template.Settings["number_of_replicas"] != float64(1) {
				t.Errorf("template settings %v (%v), want OPENSEARCH_REPLICAS=1 replicas", tpl.Template.Settings, err)
			}
			io.WriteString(w, `{"acknowledged":true}`)
		case r.Method == http.MethodPut && r.URL.Path == "/clickstream-events":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"root_cause":[{"type":"resource_already_exists_exception","reason":"index [clickstream-events/x] already exists","index":"clickstream-events"}],`+
				`"type":"resource_already_exists_exception","reason":"index [clickstream-events/x] already exists","index":"clickstream-events"},"status":400}`)
		case r.URL.Path == "/clickstream-events/_count":
			io.WriteString(w, `{"count":99987,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0}}`)
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenSearchInit(t *testing.T) {
	osd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/saved_objects/_import" || r.Header.Get("osd-xsrf") != "true" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
		}
		http.ServeFile(w, r, filepath.Join("..", "dashboards", "testdata", "import_success_response.json"))
	}))
	defer osd.Close()
	search := fakeOpenSearch(t)
	closed := closedAddr(t)

	tests := []struct {
		name       string
		dashboards string
		args       []string
		wantCode   int
		golden     string
	}{
		{name: "imported", dashboards: osd.URL, wantCode: 0, golden: "opensearch_init.txt"},
		{name: "imported json", dashboards: osd.URL, args: []string{"--json"}, wantCode: 0, golden: "opensearch_init.json"},
		{name: "dashboards unreachable", dashboards: "http://" + closed, wantCode: 1, golden: "opensearch_init_no_dashboards.txt"},
		{name: "dashboards unreachable json", dashboards: "http://" + closed, args: []string{"--json"}, wantCode: 1,
			golden: "opensearch_init_no_dashboards.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setOpenSearchEnv(t, search.URL, tc.dashboards)
			var stdout, stderr bytes.Buffer
			args := append([]string{"--env-file", "/nonexistent", "opensearch", "init"}, tc.args...)
			if code := Run(t.Context(), args, &stdout, &stderr); code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.wantCode, stderr.String())
			}
			if stderr.Len() != 0 {
				t.Fatalf("stderr = %q, want nothing: the report is on stdout", stderr.String())
			}
			// Ports change from run to run.
			out := strings.NewReplacer(
				search.URL, "$OPENSEARCH_URL", osd.URL, "$DASHBOARDS_URL",
				"http://"+closed, "$DASHBOARDS_URL", closed, "$DASHBOARDS_ADDR",
			).Replace(stdout.String())
			golden(t, tc.golden, []byte(out))
		})
	}
}

func TestIntegrationEnsureIndex(t *testing.T) {
	url := testenv.Lookup(t, "OPENSEARCH_URL")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	client, err := openSearchClient(ctx, openSearchSettings{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	// No template covers this name, so the test leaves the real index and
	// template alone.
	index := fmt.Sprintf("test-dash-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.Indices.Delete(ctx, opensearchapi.IndicesDeleteReq{Indices: []string{index}})
	})

	for i, want := range []bool{true, false} {
		created, err := searchindex.EnsureIndex(ctx, client, index)
		if err != nil || created != want {
			t.Fatalf("run %d: EnsureIndex = %v, %v; want %v, nil", i+1, created, err, want)
		}
	}
	rep := &initReport{Imported: map[string]int{}}
	st := indexStep(ctx, client, index, rep)
	if !st.OK || rep.Documents == nil || *rep.Documents != 0 {
		t.Fatalf("indexStep = %+v, documents %v", st, rep.Documents)
	}
	if want := fmt.Sprintf("Index '%s' exists (0 documents)", index); st.Message != want {
		t.Fatalf("message = %q, want %q", st.Message, want)
	}
}

func TestDashboardsLinkDropsCredentials(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{name: "local", url: "http://127.0.0.1:5601", want: "http://127.0.0.1:5601/app/dashboards"},
		{name: "trailing slash", url: "https://osd.example:443/", want: "https://osd.example:443/app/dashboards"},
		{name: "credentials", url: "https://admin:s3cret@osd.example", want: "https://osd.example/app/dashboards"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dashboardsLink(tc.url); got != tc.want {
				t.Fatalf("dashboardsLink(%q) = %q, want %q", tc.url, got, tc.want)
			}
		})
	}
}
