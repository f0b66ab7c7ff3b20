package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importContract is the request Dashboards 2.x takes at its saved-objects
// import API, kept in testdata/import_request.json.
type importContract struct {
	Method    string            `json:"method"`
	Path      string            `json:"path"`
	Query     string            `json:"query"`
	Headers   map[string]string `json:"headers"`
	FormField string            `json:"form_field"`
	Filename  string            `json:"filename"`
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkImportRequest reports every way r breaks the contract.
func checkImportRequest(t *testing.T, r *http.Request, c importContract, user, password string) {
	t.Helper()
	if r.Method != c.Method || r.URL.Path != c.Path || r.URL.RawQuery != c.Query {
		t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery, c.Method, c.Path, c.Query)
	}
	for k, v := range c.Headers {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	gotUser, gotPassword, ok := r.BasicAuth()
	if ok != (user != "") || gotUser != user || gotPassword != password {
		t.Errorf("basic auth = %q %q %v, want %q %q", gotUser, gotPassword, ok, user, password)
	}

	if err := r.ParseMultipartForm(1 << 20); err != nil {
		t.Errorf("multipart form: %v", err)
		return
	}
	files := r.MultipartForm.File[c.FormField]
	if len(files) != 1 || files[0].Filename != c.Filename {
		t.Errorf("form files %v, want one %q in field %q", r.MultipartForm.File, c.Filename, c.FormField)
		return
	}
	f, err := files[0].Open()
	if err != nil {
		t.Errorf("open form file: %v", err)
		return
	}
	defer f.Close()
	body, _ := io.ReadAll(f)
	if !bytes.Equal(body, NDJSON()) {
		t.Errorf("form file differs from NDJSON(): %d bytes, want %d", len(body), len(NDJSON()))
	}
}

func TestImport(t *testing.T) {
	var contract importContract
	if err := json.Unmarshal(readTestdata(t, "import_request.json"), &contract); err != nil {
		t.Fatal(err)
	}
	success := readTestdata(t, "import_success_response.json")
	refused := `{"success":false,"successCount":7,"successResults":[],"errors":[{"id":"clickstream-traffic",` +
		`"type":"dashboard","title":"Clickstream traffic","meta":{"title":"Clickstream traffic"},` +
		`"error":{"type":"missing_references","references":[{"type":"visualization","id":"x"}]}}]}`

	tests := []struct {
		name           string
		user, password string
		status         int
		answer         []byte
		want           map[string]int // imported by type
		wantErr        string         // part of the error; "" for none
	}{
		{name: "success with basic auth", user: "admin", password: "s3cret", status: 200, answer: success,
			want: map[string]int{"index-pattern": 1, "visualization": 5, "dashboard": 2}},
		{name: "success without auth", status: 200, answer: success,
			want: map[string]int{"index-pattern": 1, "visualization": 5, "dashboard": 2}},
		{name: "bad request", status: 400, answer: readTestdata(t, "import_error_response.json"),
			wantErr: "refused the import: 400 Bad Request: Invalid file extension .txt"},
		{name: "not JSON", status: 502, answer: []byte("<html>Bad Gateway</html>"),
			wantErr: "502 Bad Gateway: <html>Bad Gateway</html>"},
		{name: "objects refused", status: 200, answer: []byte(refused),
			want:    map[string]int{},
			wantErr: "refused 1: dashboard clickstream-traffic: missing_references"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				checkImportRequest(t, r, contract, tc.user, tc.password)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write(tc.answer)
			}))
			defer srv.Close()

			res, err := Import(t.Context(), srv.Client(), srv.URL, tc.user, tc.password)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Import: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) ||
				!strings.Contains(err.Error(), srv.URL)) {
				t.Fatalf("Import error = %v, want one naming %s and containing %q", err, srv.URL, tc.wantErr)
			}
			if tc.want != nil && !maps.Equal(res.Imported, tc.want) {
				t.Fatalf("imported = %v, want %v", res.Imported, tc.want)
			}
		})
	}
}

func TestImportUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ln.Close()

	_, err = Import(t.Context(), nil, addr, "", "")
	if err == nil {
		t.Fatal("Import succeeded against a closed port")
	}
	msg := err.Error()
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("error %q does not wrap ErrUnreachable", msg)
	}
	if !strings.Contains(msg, "OpenSearch Dashboards at "+addr+" is not reachable") || strings.Contains(msg, "\n") {
		t.Fatalf("error = %q, want one line naming %s", msg, addr)
	}
}

func TestImportMasksPassword(t *testing.T) {
	_, err := Import(t.Context(), nil, "http://admin:s3cret@127.0.0.1:1", "", "")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error = %v, want one without the password", err)
	}
}
