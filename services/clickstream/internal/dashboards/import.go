package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clickstream/clickstream/services/platform/config"
)

// ErrUnreachable is wrapped by the error of [Import] when nothing answers at
// the Dashboards address.
var ErrUnreachable = errors.New("not reachable")

// Result is what Dashboards answers to an import.
type Result struct {
	Success      bool
	SuccessCount int
	// Imported counts the imported objects by type: "index-pattern",
	// "visualization", "dashboard".
	Imported map[string]int
	Errors   []ImportError
}

// ImportError is one object that Dashboards refused.
type ImportError struct {
	ID     string
	Type   string
	Title  string
	Reason string // the error type (conflict, missing_references, …) and message
}

func (e ImportError) String() string {
	return fmt.Sprintf("%s %s: %s", e.Type, e.ID, e.Reason)
}

// importResponse is the body of a 200 answer from _import.
type importResponse struct {
	Success        bool `json:"success"`
	SuccessCount   int  `json:"successCount"`
	SuccessResults []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"successResults"`
	Errors []struct {
		ID    string `json:"id"`
		Type  string `json:"type"`
		Title string `json:"title"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"errors"`
}

// Import sends [NDJSON] to the saved-objects import API of the Dashboards at
// dashboardsURL, replacing objects with the same ids, so that running it
// again changes nothing. It uses basic auth when user is not empty. A nil
// httpClient means a client with a 30s timeout.
//
// The error names the Dashboards address when it cannot be reached, when it
// answers other than 2xx, and when it refuses some objects; in that last
// case the Result says which.
func Import(ctx context.Context, httpClient *http.Client, dashboardsURL, user, password string) (Result, error) {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	where := config.Mask(dashboardsURL)
	req, err := newImportRequest(ctx, dashboardsURL, user, password)
	if err != nil {
		return Result{}, fmt.Errorf("dashboards %s: %w", where, err)
	}

	resp, err := httpClient.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Result{}, fmt.Errorf("import into OpenSearch Dashboards at %s: %w", where, ctxErr)
		}
		return Result{}, fmt.Errorf("OpenSearch Dashboards at %s is %w: %v", where, ErrUnreachable, transportCause(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Result{}, fmt.Errorf("OpenSearch Dashboards at %s: read import answer: %w", where, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, fmt.Errorf("OpenSearch Dashboards at %s refused the import: %s: %s",
			where, resp.Status, errorMessage(body))
	}
	return parseResult(body, where)
}

// newImportRequest builds the multipart POST the import API takes: the
// NDJSON in the form field "file", whose filename must end in .ndjson.
func newImportRequest(ctx context.Context, dashboardsURL, user, password string) (*http.Request, error) {
	u, err := url.Parse(dashboardsURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("not an absolute URL")
	}
	u = u.JoinPath("api", "saved_objects", "_import")
	u.RawQuery = url.Values{"overwrite": {"true"}}.Encode()

	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreateFormFile("file", "clickstream.ndjson")
	if err != nil {
		return nil, err
	}
	if _, err := part.Write(ndjson); err != nil {
		return nil, err
	}
	if err := form.Close(); err != nil {
		return nil, err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	// Dashboards refuses writes without this header (its CSRF guard).
	req.Header.Set("osd-xsrf", "true")
	// With the security plugin's multi-tenancy, objects go to the Global
	// tenant, where every user finds them; without it the header is unused.
	req.Header.Set("securitytenant", "global")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	return req, nil
}

func parseResult(body []byte, where string) (Result, error) {
	var r importResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return Result{}, fmt.Errorf("OpenSearch Dashboards at %s: import answer is not JSON: %w", where, err)
	}
	res := Result{Success: r.Success, SuccessCount: r.SuccessCount, Imported: make(map[string]int)}
	for _, s := range r.SuccessResults {
		res.Imported[s.Type]++
	}
	for _, e := range r.Errors {
		reason := e.Error.Type
		if e.Error.Message != "" {
			reason += ": " + e.Error.Message
		}
		res.Errors = append(res.Errors, ImportError{ID: e.ID, Type: e.Type, Title: e.Title, Reason: reason})
	}
	if !res.Success || len(res.Errors) > 0 {
		msgs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			msgs[i] = e.String()
		}
		return res, fmt.Errorf("OpenSearch Dashboards at %s imported %d objects and refused %d: %s",
			where, res.SuccessCount, len(res.Errors), strings.Join(msgs, "; "))
	}
	return res, nil
}

// errorMessage returns the message of a Dashboards error answer
// ({"statusCode":400,"error":"Bad Request","message":"…"}), or the start of
// the body when it has none.
func errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "empty answer"
	}
	return s
}

// transportCause drops the method and URL that *url.Error puts before the
// cause: the message names the address already.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
