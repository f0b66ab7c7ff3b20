package index

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/searchindex"
)

// Rejection is an event OpenSearch refused for good, with its reason.
type Rejection struct {
	Event  event.Event
	Reason string
}

// Limits bound one _bulk request, and how many run at once.
type Limits struct {
	Docs       int // documents per request
	Bytes      int // request body bytes
	Concurrent int // requests in flight
}

// Bulker indexes events through _bulk, each under an id spelled from its
// identity, so that writing an event again never adds a document.
type Bulker struct {
	client *opensearchapi.Client
	index  string
	limits Limits

	// OnRetry is called when items or a whole request will be tried again.
	OnRetry func(items int, err error)
}

// NewBulker returns a Bulker writing to index.
func NewBulker(client *opensearchapi.Client, index string, limits Limits) *Bulker {
	return &Bulker{client: client, index: index, limits: limits}
}

// Index writes every event, retrying what OpenSearch throttles or fails on
// for a while (backoff with jitter), until ctx is done. It returns the
// events refused for good, which only a change to the event could fix, and
// an error only when ctx ended first; then nothing may be taken as durable.
func (b *Bulker) Index(ctx context.Context, events []event.Event) ([]Rejection, error) {
	var mu sync.Mutex
	var rejected []Rejection
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(b.limits.Concurrent, 1))
	for len(events) > 0 {
		n, body := b.body(events)
		chunk := events[:n]
		g.Go(func() error {
			rej, err := b.write(gctx, chunk, body)
			mu.Lock()
			rejected = append(rejected, rej...)
			mu.Unlock()
			return err
		})
		events = events[n:]
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return rejected, nil
}

// body builds a request from the first events within the limits and says
// how many it holds.
func (b *Bulker) body(events []event.Event) (int, []byte) {
	var body []byte
	n := 0
	for n < len(events) && n < b.limits.Docs {
		start := len(body)
		body = append(body, `{"index":{"_index":"`...)
		body = append(body, b.index...)
		body = append(body, `","_id":"`...)
		body = events[n].AppendID(body)
		body = append(body, "\"}}\n"...)
		body = searchindex.AppendDoc(body, &events[n])
		body = append(body, '\n')
		if len(body) > b.limits.Bytes && n > 0 {
			body = body[:start]
			break
		}
		n++
	}
	return n, body
}

// write sends one request's events and retries the retryable part: the
// whole request when it failed as a whole, else the throttled or failed
// items. Refused items are final and collected.
func (b *Bulker) write(ctx context.Context, events []event.Event, body []byte) ([]Rejection, error) {
	var rejected []Rejection
	wait := 100 * time.Millisecond
	for {
		retry, rej, err := b.send(ctx, events, body)
		if err != nil {
			retry = events
		}
		rejected = append(rejected, rej...)
		if len(retry) == 0 {
			return rejected, nil
		}
		if err == nil {
			err = fmt.Errorf("%d items throttled or failed", len(retry))
		}
		if b.OnRetry != nil {
			b.OnRetry(len(retry), err)
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2 + 1))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait/2 + jitter):
		}
		wait = min(2*wait, 10*time.Second)
		events = retry
		_, body = b.body(retry)
	}
}

// send makes one _bulk call and sorts its items: done, to retry, refused.
// A request that fails as a whole returns an error and is retried whole.
func (b *Bulker) send(ctx context.Context, events []event.Event, body []byte) (retry []event.Event, rejected []Rejection, err error) {
	resp, err := b.client.Bulk(ctx, opensearchapi.BulkReq{Body: bytes.NewReader(body)})
	if err != nil {
		return nil, nil, fmt.Errorf("bulk: %w", err)
	}
	if len(resp.Items) != len(events) {
		return nil, nil, fmt.Errorf("bulk answered %d items for %d documents", len(resp.Items), len(events))
	}
	for i, item := range resp.Items {
		for _, r := range item {
			switch {
			case r.Status < 300:
			case r.Status == http.StatusTooManyRequests || r.Status >= 500:
				retry = append(retry, events[i])
			default:
				reason := http.StatusText(r.Status)
				if r.Error != nil {
					reason = r.Error.Type + ": " + r.Error.Reason
				}
				rejected = append(rejected, Rejection{Event: events[i], Reason: reason})
			}
		}
	}
	return retry, rejected, nil
}
