package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/oracle"
)

// sessionTimeout is the pg-sink's default SESSION_TIMEOUT, which the suite
// leaves as it is.
const sessionTimeout = 30 * time.Minute

// spotChecks is how many documents each check fetches by id.
const spotChecks = 200

// checker compares the stores with one clean pass over a prefix of the
// input, in send order.
type checker struct {
	input     string // the input file
	pool      *pgxpool.Pool
	admin     *kadm.Client
	dlq       string
	search    searchIndex
	analytics clickstreamv1.AnalyticsServiceClient
}

// check returns every invariant that does not hold once the pipeline has
// written the first covered events of the input, in send order; none means
// they all hold.
func (c *checker) check(ctx context.Context, covered int) ([]string, error) {
	want, err := oracle.FromFileLimit(c.input, sessionTimeout, covered)
	if err != nil {
		return nil, err
	}
	var failed []string
	fail := func(format string, args ...any) { failed = append(failed, fmt.Sprintf(format, args...)) }

	events, err := pgEvents(ctx, c.pool)
	if err != nil {
		return nil, err
	}
	if diff := oracle.DiffEvents(want.Events, events, 5); len(diff) > 0 {
		fail("PostgreSQL events differ from one clean pass (%d rows, want %d):\n  %s", len(events), len(want.Events), strings.Join(diff, "\n  "))
	}
	sessions, err := pgSessions(ctx, c.pool)
	if err != nil {
		return nil, err
	}
	if diff := oracle.DiffSessions(want.Sessions, sessions, 5); len(diff) > 0 {
		fail("PostgreSQL sessions differ from one clean pass (%d rows, want %d):\n  %s", len(sessions), len(want.Sessions), strings.Join(diff, "\n  "))
	}

	n, err := c.search.count(ctx)
	if err != nil {
		return nil, err
	}
	if n != int64(len(want.Events)) {
		fail("OpenSearch holds %d documents, want %d distinct events", n, len(want.Events))
	}
	problems, err := c.search.spotCheck(ctx, want.Events, spotChecks, uint64(covered))
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		fail("OpenSearch: %s", p)
	}

	dead, err := endOffsets(ctx, c.admin, c.dlq)
	if err != nil {
		return nil, fmt.Errorf("dead-letter topic %s: %w", c.dlq, err)
	}
	if dead != 0 {
		fail("the dead-letter topic %s holds %d records, want none for a clean input", c.dlq, dead)
	}

	if err := c.checkFunnel(ctx, want); err != nil {
		fail("%v", err)
	}
	return failed, nil
}

// analyticsStaleness is how long the suite's analytics service may serve an
// answer computed before the data last moved.
const analyticsStaleness = 2 * time.Second

// checkFunnel compares the analytics service's all-time funnel with the
// clean pass's. The sinks have caught up when it is called, but an answer
// computed just before may serve for analyticsStaleness: the funnel must
// equal the clean pass's within that time and a margin.
func (c *checker) checkFunnel(ctx context.Context, want *oracle.Result) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second+analyticsStaleness)
	defer cancel()
	deadline := time.Now().Add(analyticsStaleness + time.Second)
	for {
		err := c.compareFunnel(ctx, want)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *checker) compareFunnel(ctx context.Context, want *oracle.Result) error {
	resp, err := c.analytics.GetFunnel(ctx, &clickstreamv1.GetFunnelRequest{
		Windows: []*clickstreamv1.Window{{Window: &clickstreamv1.Window_AllTime{AllTime: true}}},
	})
	if err != nil {
		return fmt.Errorf("analytics GetFunnel: %w", err)
	}
	if len(resp.Funnels) != 1 {
		return fmt.Errorf("analytics GetFunnel returned %d funnels, want 1", len(resp.Funnels))
	}
	got, o := resp.Funnels[0], want.Funnel(time.Time{}, time.Time{})
	if got.Sessions != o.Sessions || got.CartSessions != o.CartSessions || got.PurchaseSessions != o.PurchaseSessions ||
		got.Purchases != o.Purchases || !closeTo(got.ConversionRate, o.ConversionRate) ||
		!closeTo(got.CartAbandonment, o.CartAbandonment) || !closeTo(got.AvgItemsPerPurchase, o.AvgItemsPerPurchase) {
		return fmt.Errorf("analytics all-time funnel %s after the sinks caught up = sessions %d, cart %d, purchase %d, purchases %d; one clean pass: %+v",
			analyticsStaleness+time.Second, got.Sessions, got.CartSessions, got.PurchaseSessions, got.Purchases, o)
	}
	return nil
}

func closeTo(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func pgEvents(ctx context.Context, pool *pgxpool.Pool) ([]oracle.Event, error) {
	rows, err := pool.Query(ctx, "SELECT visitor_id, event_time, event_type, item_id, transaction_id FROM events")
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []oracle.Event
	for rows.Next() {
		var e oracle.Event
		var at time.Time
		if err := rows.Scan(&e.Visitor, &at, &e.Type, &e.Item, &e.Txn); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		e.TimeMs = at.UnixMilli()
		out = append(out, e)
	}
	return out, rows.Err()
}

func pgSessions(ctx context.Context, pool *pgxpool.Pool) ([]oracle.Session, error) {
	rows, err := pool.Query(ctx, `SELECT session_id, visitor_id, session_start, session_end, duration_seconds,
		event_count, view_count, cart_count, transaction_count, items_viewed, items_carted, items_purchased, converted
		FROM sessions`)
	if err != nil {
		return nil, fmt.Errorf("read sessions: %w", err)
	}
	defer rows.Close()
	var out []oracle.Session
	for rows.Next() {
		var x oracle.Session
		if err := rows.Scan(&x.ID, &x.Visitor, &x.Start, &x.End, &x.DurationSeconds, &x.Events, &x.Views,
			&x.Carts, &x.Transactions, &x.ItemsViewed, &x.ItemsCarted, &x.ItemsPurchased, &x.Converted); err != nil {
			return nil, fmt.Errorf("read sessions: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// searchIndex is the suite's OpenSearch index, over plain HTTP.
type searchIndex struct {
	url   string // OpenSearch's base URL
	index string
	http  *http.Client
}

func (s searchIndex) do(ctx context.Context, method, path string, body []byte, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.url+"/"+s.index+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if into == nil {
		return nil
	}
	return json.Unmarshal(b, into)
}

// count refreshes the index, so that every written document is visible,
// and counts its documents.
func (s searchIndex) count(ctx context.Context) (int64, error) {
	if err := s.do(ctx, http.MethodPost, "/_refresh", nil, nil); err != nil {
		return 0, fmt.Errorf("opensearch refresh: %w", err)
	}
	var c struct{ Count int64 }
	if err := s.do(ctx, http.MethodGet, "/_count", nil, &c); err != nil {
		return 0, fmt.Errorf("opensearch count: %w", err)
	}
	return c.Count, nil
}

// searchDoc is the document the search-sink writes for an event.
type searchDoc struct {
	EventTime     int64  `json:"event_time"`
	VisitorID     string `json:"visitor_id"`
	EventType     string `json:"event_type"`
	ItemID        string `json:"item_id"`
	TransactionID string `json:"transaction_id"`
}

// spotCheck fetches n of the events, picked at random from seed, by the id
// the search-sink gives them, and returns what is missing or wrong.
func (s searchIndex) spotCheck(ctx context.Context, events []oracle.Event, n int, seed uint64) ([]string, error) {
	if len(events) == 0 {
		return nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	picked := make(map[string]oracle.Event, n)
	var ids []string
	for range n {
		e := events[rng.IntN(len(events))]
		id := docID(e)
		if _, ok := picked[id]; !ok {
			picked[id] = e
			ids = append(ids, id)
		}
	}
	body, _ := json.Marshal(map[string][]string{"ids": ids})
	var resp struct {
		Docs []struct {
			ID     string    `json:"_id"`
			Found  bool      `json:"found"`
			Source searchDoc `json:"_source"`
		}
	}
	if err := s.do(ctx, http.MethodPost, "/_mget", body, &resp); err != nil {
		return nil, fmt.Errorf("opensearch mget: %w", err)
	}
	var problems []string
	found := 0
	for _, d := range resp.Docs {
		e, ok := picked[d.ID]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("document %s was not asked for", d.ID))
		case !d.Found:
			problems = append(problems, fmt.Sprintf("event %s is missing", d.ID))
		case d.Source != wantDoc(e):
			problems = append(problems, fmt.Sprintf("document %s = %+v, want %+v", d.ID, d.Source, wantDoc(e)))
		default:
			found++
		}
	}
	if len(resp.Docs) != len(ids) {
		problems = append(problems, fmt.Sprintf("asked for %d documents, got %d answers", len(ids), len(resp.Docs)))
	}
	return problems[:min(len(problems), 5)], nil
}

// docID spells an event's document id as docs/search-sink.md gives it:
// <visitor>-<time ms>-<type>-<item>.
func docID(e oracle.Event) string {
	return fmt.Sprintf("%d-%d-%s-%d", e.Visitor, e.TimeMs, e.Type, e.Item)
}

func wantDoc(e oracle.Event) searchDoc {
	d := searchDoc{
		EventTime: e.TimeMs,
		VisitorID: strconv.FormatInt(e.Visitor, 10),
		EventType: e.Type,
		ItemID:    strconv.FormatInt(e.Item, 10),
	}
	if e.Txn != nil {
		d.TransactionID = strconv.FormatInt(*e.Txn, 10)
	}
	return d
}
