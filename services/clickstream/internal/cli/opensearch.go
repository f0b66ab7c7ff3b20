package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/spf13/cobra"

	"github.com/clickstream/clickstream/services/clickstream/internal/dashboards"
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/searchindex"
)

func (a *app) opensearchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "opensearch",
		Short: "Prepare OpenSearch and OpenSearch Dashboards for the search-sink",
	}
	cmd.AddCommand(a.opensearchInitCmd())
	return cmd
}

func (a *app) opensearchInitCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "init [--json]",
		Short: "Apply the index template, create the index and import the dashboards",
		Long: `Apply the index template to OpenSearch at OPENSEARCH_URL (replicas:
OPENSEARCH_REPLICAS), create the index clickstream-events unless it exists,
and import the index pattern, visualizations and dashboards into OpenSearch
Dashboards at OPENSEARCH_DASHBOARDS_URL, replacing earlier copies. Running it
again changes nothing. Exits non-zero when a step fails.`,
		Example: `  clickstream opensearch init
  OPENSEARCH_DASHBOARDS_URL=http://dashboards:5601 clickstream opensearch init --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.opensearchInit(cmd.Context(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// initReport is the JSON form of opensearch init, printed with --json;
// fields are only ever added. For example:
//
//	{
//	  "ok": false,                        // every step succeeded
//	  "opensearch_url": "http://127.0.0.1:19200",
//	  "dashboards_url": "http://127.0.0.1:5601",
//	  "index": "clickstream-events",
//	  "documents": 99987,                 // null when not counted
//	  "imported": {},                     // saved objects by type, e.g. "visualization": 5
//	  "steps": [
//	    {"step": "opensearch", "ok": true, "message": "OpenSearch is reachable (http://127.0.0.1:19200)"},
//	    {"step": "template", "ok": true, "message": "Index template clickstream-events applied"},
//	    {"step": "index", "ok": true, "message": "Index 'clickstream-events' exists (99,987 documents)"},
//	    {"step": "import", "ok": false, "message": "OpenSearch Dashboards at http://127.0.0.1:5601 is not reachable: …"}
//	  ]
//	}
//
// The steps run in that order; index is left out when the template failed.
// URLs have their passwords masked. When OpenSearch itself is not reachable
// nothing is printed on stdout: the command fails with one line on stderr.
type initReport struct {
	OK            bool           `json:"ok"`
	OpenSearchURL string         `json:"opensearch_url"`
	DashboardsURL string         `json:"dashboards_url"`
	Index         string         `json:"index"`
	Documents     *int64         `json:"documents"`
	Imported      map[string]int `json:"imported"`
	Steps         []initStep     `json:"steps"`
}

type initStep struct {
	Step    string   `json:"step"`
	OK      bool     `json:"ok"`
	Message string   `json:"message"`
	lines   []string // what the human output prints instead of Message
	err     error
}

func (a *app) opensearchInit(ctx context.Context, asJSON bool) error {
	cfg, err := a.settings()
	if err != nil {
		return err
	}
	s := cfg.OpenSearch
	if s.URL == "" {
		return errors.New("OPENSEARCH_URL is not set: point it at OpenSearch, e.g. http://127.0.0.1:19200")
	}
	client, err := openSearchClient(ctx, s)
	if err != nil {
		return err
	}

	rep := &initReport{
		OpenSearchURL: config.Mask(s.URL), DashboardsURL: config.Mask(s.DashboardsURL),
		Index: cfg.OpenSearch.Index, Imported: map[string]int{},
	}
	var out io.Writer = a.stdout
	if asJSON {
		out = io.Discard
	}
	fmt.Fprintln(out, "  Initializing OpenSearch")
	add := func(st initStep) {
		rep.Steps = append(rep.Steps, st)
		writeStep(out, st)
	}

	reachable := fmt.Sprintf("OpenSearch is reachable (%s)", rep.OpenSearchURL)
	add(initStep{Step: "opensearch", OK: true, Message: reachable})
	template := applyTemplateStep(ctx, client, s.Replicas)
	add(template)
	if template.OK {
		add(indexStep(ctx, client, cfg.OpenSearch.Index, rep))
	}
	add(importStep(ctx, s, rep))

	rep.OK = true
	for _, st := range rep.Steps {
		rep.OK = rep.OK && st.OK
	}
	if asJSON {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		writeInitEnd(a.stdout, rep, s.DashboardsURL)
	}
	if !rep.OK {
		return exitError(1)
	}
	return nil
}

// openSearchClient returns a client after checking that OpenSearch answers.
func openSearchClient(ctx context.Context, s openSearchSettings) (*opensearchapi.Client, error) {
	client, err := opensearchapi.NewClient(opensearchapi.Config{
		Client: opensearch.Config{Addresses: []string{s.URL}, Username: s.User, Password: s.Password.Reveal()},
	})
	if err != nil {
		return nil, fmt.Errorf("opensearch client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := client.Info(ctx, nil); err != nil {
		var opErr *net.OpError
		switch {
		case errors.As(err, &opErr):
			return nil, fmt.Errorf("OpenSearch at %s is not reachable: %v", config.Mask(s.URL), opErr)
		case errors.Is(err, context.DeadlineExceeded):
			return nil, fmt.Errorf("OpenSearch at %s is not reachable: no answer within 10s", config.Mask(s.URL))
		}
		return nil, fmt.Errorf("OpenSearch at %s: %w", config.Mask(s.URL), err)
	}
	return client, nil
}

func applyTemplateStep(ctx context.Context, client *opensearchapi.Client, replicas int) initStep {
	name := searchindex.TemplateName
	if err := searchindex.ApplyTemplate(ctx, client, replicas); err != nil {
		return initStep{Step: "template", Message: fmt.Sprintf("Index template %s not applied: %v", name, err)}
	}
	return initStep{Step: "template", OK: true, Message: fmt.Sprintf("Index template %s applied", name)}
}

// indexStep creates the index unless it exists, so that the template's
// mappings hold from the first document on, and counts its documents.
func indexStep(ctx context.Context, client *opensearchapi.Client, index string, rep *initReport) initStep {
	created, err := searchindex.EnsureIndex(ctx, client, index)
	if err != nil {
		return initStep{Step: "index", Message: fmt.Sprintf("Index '%s' not created: %v", index, err)}
	}
	resp, err := client.Indices.Count(ctx, &opensearchapi.IndicesCountReq{Indices: []string{index}})
	if err != nil {
		msg := fmt.Sprintf("Index '%s' exists but counting its documents failed: %v", index, err)
		return initStep{Step: "index", Message: msg}
	}
	n := int64(resp.Count)
	rep.Documents = &n
	verb := "exists"
	if created {
		verb = "created"
	}
	msg := fmt.Sprintf("Index '%s' %s (%s documents)", index, verb, count(n))
	return initStep{Step: "index", OK: true, Message: msg}
}

func importStep(ctx context.Context, s openSearchSettings, rep *initReport) initStep {
	res, err := dashboards.Import(ctx, nil, s.DashboardsURL, s.User, s.Password.Reveal())
	for typ, n := range res.Imported {
		rep.Imported[typ] = n
	}
	if err != nil {
		return initStep{Step: "import", Message: err.Error(), err: err}
	}

	pattern := ""
	for _, o := range dashboards.Objects() {
		if o.Type == "index-pattern" {
			pattern = o.Title
		}
	}
	vis := plural(res.Imported["visualization"], "visualization")
	dash := plural(res.Imported["dashboard"], "dashboard")
	return initStep{
		Step: "import", OK: true,
		Message: fmt.Sprintf("Imported index pattern %s, %s and %s", pattern, vis, dash),
		lines: []string{
			"Imported index pattern: " + pattern,
			"Imported " + vis,
			"Imported " + dash,
		},
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func writeStep(w io.Writer, st initStep) {
	mark := "✓"
	if !st.OK {
		mark = "✗"
	}
	lines := st.lines
	if lines == nil {
		lines = []string{st.Message}
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %s %s\n", mark, l)
	}
}

// writeInitEnd prints where the dashboards are, or what to do when the
// import failed.
func writeInitEnd(w io.Writer, rep *initReport, dashboardsURL string) {
	last := rep.Steps[len(rep.Steps)-1]
	switch {
	case last.OK:
		fmt.Fprintf(w, "\n  Open dashboards at %s\n", dashboardsLink(dashboardsURL))
	case errors.Is(last.err, dashboards.ErrUnreachable):
		fmt.Fprintln(w, "\n  Start OpenSearch Dashboards, or set OPENSEARCH_DASHBOARDS_URL to where it listens, and run this again.")
	}
}

// dashboardsLink is the dashboards list of the Dashboards at rawURL, without
// any credentials in it.
func dashboardsLink(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return config.Mask(rawURL)
	}
	u.User = nil
	return u.JoinPath("app", "dashboards").String()
}
