package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// loadCall is one kind of request the analytics load sends.
type loadCall struct {
	method string
	call   func(context.Context, clickstreamv1.AnalyticsServiceClient) error
}

// loadCalls are what a dashboard polling the pipeline asks, in turn: the
// funnel of the three usual windows, the top items, and the status.
var loadCalls = []loadCall{
	{"GetFunnel", func(ctx context.Context, c clickstreamv1.AnalyticsServiceClient) error {
		windows, _ := funnelWindows("", "")
		_, err := c.GetFunnel(ctx, &clickstreamv1.GetFunnelRequest{Windows: windows})
		return err
	}},
	{"GetTopItems", func(ctx context.Context, c clickstreamv1.AnalyticsServiceClient) error {
		_, err := c.GetTopItems(ctx, &clickstreamv1.GetTopItemsRequest{Kind: clickstreamv1.ItemKind_ITEM_KIND_VIEWED, Limit: 10})
		return err
	}},
	{"GetPipelineStatus", func(ctx context.Context, c clickstreamv1.AnalyticsServiceClient) error {
		_, err := c.GetPipelineStatus(ctx, &clickstreamv1.GetPipelineStatusRequest{})
		return err
	}},
}

// methodLoad is what one method's calls took during a load.
type methodLoad struct {
	Method string  `json:"method"`
	Calls  int     `json:"calls"`
	Errors int     `json:"errors"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// loadReport is the analytics load that ran beside a benchmark.
type loadReport struct {
	Clients   int          `json:"clients"`
	PauseMs   float64      `json:"pause_ms"`
	Seconds   float64      `json:"seconds"`
	Methods   []methodLoad `json:"methods"`
	FirstErr  string       `json:"first_error,omitempty"`
	firstErr  error
	latencies map[string][]time.Duration
}

// analyticsLoad runs clients loops against the analytics service, each
// sending loadCalls in turn with pause between a call's answer and the
// next call, until ctx ends. A call that fails is counted, and the loop
// goes on; the call cut short by the end of ctx is not counted.
func analyticsLoad(ctx context.Context, client clickstreamv1.AnalyticsServiceClient, clients int, pause, timeout time.Duration) *loadReport {
	r := &loadReport{Clients: clients, PauseMs: ms(pause), latencies: make(map[string][]time.Duration)}
	errs := make(map[string]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; !loadOver(ctx); n++ {
				lc := loadCalls[n%len(loadCalls)]
				callCtx, cancel := context.WithTimeout(ctx, timeout)
				t0 := time.Now()
				err := lc.call(callCtx, client)
				took := time.Since(t0)
				cancel()
				if loadOver(ctx) {
					return
				}
				mu.Lock()
				if err != nil {
					errs[lc.method]++
					if r.firstErr == nil {
						r.firstErr = fmt.Errorf("%s: %w", lc.method, err)
					}
				} else {
					r.latencies[lc.method] = append(r.latencies[lc.method], took)
				}
				mu.Unlock()
				if pause > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
			}
		}()
	}
	wg.Wait()
	r.Seconds = time.Since(start).Seconds()
	for _, lc := range loadCalls {
		lat := r.latencies[lc.method]
		slices.Sort(lat)
		r.Methods = append(r.Methods, methodLoad{
			Method: lc.method, Calls: len(lat) + errs[lc.method], Errors: errs[lc.method],
			P50ms: ms(percentile(lat, 0.50)), P99ms: ms(percentile(lat, 0.99)), MaxMs: ms(percentile(lat, 1)),
		})
	}
	if r.firstErr != nil {
		r.FirstErr = r.firstErr.Error()
		if status.Code(r.firstErr) == codes.Unavailable {
			r.FirstErr += " (is the analytics service running?)"
		}
	}
	return r
}

// loadOver reports whether ctx is done or past its deadline: a context whose
// deadline has passed may not say so yet, while its children already fail.
func loadOver(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// percentile returns the nearest-rank q-quantile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

// writeLoad prints the load's figures, one line per method.
func writeLoad(w io.Writer, r *loadReport) error {
	var errs []error
	_, err := fmt.Fprintf(w, "analytics load: %d clients, %.0f ms between calls, for %.1fs\n", r.Clients, r.PauseMs, r.Seconds)
	errs = append(errs, err)
	for _, m := range r.Methods {
		_, err := fmt.Fprintf(w, "  %-18s %6d calls %4d errors  p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms\n",
			m.Method, m.Calls, m.Errors, m.P50ms, m.P99ms, m.MaxMs)
		errs = append(errs, err)
	}
	if r.FirstErr != "" {
		_, err := fmt.Fprintf(w, "  first error: %s\n", r.FirstErr)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
