package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// analyticsTimeout bounds each call to the analytics service.
const analyticsTimeout = 10 * time.Second

type analyticsFlags struct {
	from, to string
	json     bool
}

func (a *app) analyticsCmd() *cobra.Command {
	var f analyticsFlags
	cmd := &cobra.Command{
		Use:   "analytics [--json] [--from T --to T]",
		Short: "Print the conversion funnel",
		Long: `Ask the analytics service at ANALYTICS_ADDR for the conversion funnel of the
sessions that started in each window: all time, the last day and the last
month. The last day and month count back from the newest session start in
the data, not from now. With --from and --to (RFC 3339), one explicit range
instead: the sessions that started at or after --from and before --to.

The analytics service must be running; this command never starts it.`,
		Example: `  clickstream analytics
  clickstream analytics --json
  clickstream analytics --from 2015-09-01T00:00:00Z --to 2015-09-08T00:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.analytics(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the funnels as JSON")
	fl.StringVar(&f.from, "from", "", "start of an explicit range (RFC 3339, included); needs --to")
	fl.StringVar(&f.to, "to", "", "end of an explicit range (RFC 3339, excluded); needs --from")
	return cmd
}

func (a *app) analytics(ctx context.Context, f analyticsFlags) error {
	windows, err := funnelWindows(f.from, f.to)
	if err != nil {
		return err
	}
	client, closeConn, err := a.analyticsClient(ctx)
	if err != nil {
		return err
	}
	defer closeConn()

	ctx, cancel := context.WithTimeout(ctx, analyticsTimeout)
	defer cancel()
	resp, err := client.GetFunnel(fresh(ctx), &clickstreamv1.GetFunnelRequest{Windows: windows})
	if err != nil {
		return analyticsError("get funnel", err)
	}
	if err := fillWindows(windows, resp); err != nil {
		return err
	}
	return renderAnalytics(a.stdout, resp, f.json)
}

// funnelWindows returns all time, last day and last month, or the one
// range --from and --to give.
func funnelWindows(from, to string) ([]*clickstreamv1.Window, error) {
	if from == "" && to == "" {
		return []*clickstreamv1.Window{
			{Window: &clickstreamv1.Window_AllTime{AllTime: true}},
			{Window: &clickstreamv1.Window_LastDay{LastDay: true}},
			{Window: &clickstreamv1.Window_LastMonth{LastMonth: true}},
		}, nil
	}
	if from == "" || to == "" {
		return nil, errors.New("--from and --to go together: give both or neither")
	}
	start, err := parseTime("--from", from)
	if err != nil {
		return nil, err
	}
	end, err := parseTime("--to", to)
	if err != nil {
		return nil, err
	}
	if !end.After(start) {
		return nil, fmt.Errorf("--to %s is not after --from %s", to, from)
	}
	r := &clickstreamv1.TimeRange{Start: timestamppb.New(start), End: timestamppb.New(end)}
	return []*clickstreamv1.Window{{Window: &clickstreamv1.Window_Range{Range: r}}}, nil
}

func parseTime(flag, value string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time such as 2015-09-01T00:00:00Z", flag, value)
	}
	return t, nil
}

// fillWindows labels each funnel that came back without its window with the
// window asked for in its place: the service answers in request order.
func fillWindows(windows []*clickstreamv1.Window, resp *clickstreamv1.GetFunnelResponse) error {
	funnels := resp.GetFunnels()
	if len(funnels) != len(windows) {
		return fmt.Errorf("get funnel: the analytics service returned %d funnels for %d windows",
			len(funnels), len(windows))
	}
	for i, f := range funnels {
		if f.GetWindow().GetWindow() == nil {
			f.Window = windows[i]
		}
	}
	return nil
}

// analyticsClient connects to the analytics service. It fails with one line
// when the service does not answer, and never starts one.
func (a *app) analyticsClient(ctx context.Context) (clickstreamv1.AnalyticsServiceClient, func(), error) {
	cfg, err := a.settings()
	if err != nil {
		return nil, nil, err
	}
	addr := cfg.AnalyticsAddr
	conn, err := cfg.GRPC.NewClient(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("analytics at %s: %w", addr, err)
	}
	if err := checkHealth(ctx, conn, 2*time.Second); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("analytics at %s is not reachable: %v", addr, err)
	}
	return clickstreamv1.NewAnalyticsServiceClient(conn), func() { conn.Close() }, nil
}

// fresh asks the analytics service for answers of the data as it is now,
// not ones it keeps for dashboards within ANALYTICS_MAX_STALENESS: a
// command run once should show what its user just did.
func fresh(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "cache-control", "no-cache")
}

// analyticsError is rpcError with a plainer message for a call that ran out
// of time.
func analyticsError(what string, err error) error {
	if status.Code(err) == codes.DeadlineExceeded {
		return fmt.Errorf("%s: the analytics service did not answer within %s", what, analyticsTimeout)
	}
	return rpcError(what, err)
}

// analyticsReport is the JSON form of analytics, printed with --json; fields
// are only ever added. Without --from/--to:
//
//	{
//	  "all_time": {
//	    "sessions": 1556456,
//	    "cart_sessions": 61822,            // sessions with an add-to-cart
//	    "purchase_sessions": 17345,        // sessions with a purchase
//	    "purchases": 22457,                // transaction events in them
//	    "conversion_rate": 1.114,          // percent: purchase_sessions / sessions
//	    "cart_abandonment": 71.94,         // percent: carts without a purchase / cart_sessions
//	    "avg_items_per_purchase": 1.29     // distinct items per purchasing session
//	  },
//	  "last_day": {…},                     // the same keys
//	  "last_month": {…}
//	}
//
// With --from and --to the object has the single key "range", with the same
// keys inside. Rates are percentages (0 to 100), not rounded; 0 when there
// is nothing to divide by.
type analyticsReport struct {
	AllTime   *funnelJSON `json:"all_time,omitempty"`
	LastDay   *funnelJSON `json:"last_day,omitempty"`
	LastMonth *funnelJSON `json:"last_month,omitempty"`
	Range     *funnelJSON `json:"range,omitempty"`
}

type funnelJSON struct {
	Sessions            int64   `json:"sessions"`
	CartSessions        int64   `json:"cart_sessions"`
	PurchaseSessions    int64   `json:"purchase_sessions"`
	Purchases           int64   `json:"purchases"`
	ConversionRate      float64 `json:"conversion_rate"`
	CartAbandonment     float64 `json:"cart_abandonment"`
	AvgItemsPerPurchase float64 `json:"avg_items_per_purchase"`
}

// funnelColumn is one window of the human table.
type funnelColumn struct {
	title  string
	funnel *clickstreamv1.Funnel
}

// renderAnalytics prints the funnels of resp, each labelled by its window:
// as JSON (see [analyticsReport]) or as a table, bold on a terminal.
func renderAnalytics(w io.Writer, resp *clickstreamv1.GetFunnelResponse, asJSON bool) error {
	var rep analyticsReport
	var cols []funnelColumn
	for _, f := range resp.GetFunnels() {
		js := &funnelJSON{
			Sessions: f.GetSessions(), CartSessions: f.GetCartSessions(),
			PurchaseSessions: f.GetPurchaseSessions(), Purchases: f.GetPurchases(),
			ConversionRate: f.GetConversionRate(), CartAbandonment: f.GetCartAbandonment(),
			AvgItemsPerPurchase: f.GetAvgItemsPerPurchase(),
		}
		var title string
		switch win := f.GetWindow().GetWindow().(type) {
		case *clickstreamv1.Window_AllTime:
			rep.AllTime, title = js, "All Time"
		case *clickstreamv1.Window_LastDay:
			rep.LastDay, title = js, "Last Day"
		case *clickstreamv1.Window_LastMonth:
			rep.LastMonth, title = js, "Last Month"
		case *clickstreamv1.Window_Range:
			rep.Range, title = js, rangeTitle(win.Range)
		default:
			return errors.New("get funnel: the analytics service returned a funnel without its window")
		}
		cols = append(cols, funnelColumn{title: title, funnel: f})
	}
	if asJSON {
		return writeJSON(w, rep)
	}
	return writeFunnelTable(w, cols, interactive(w))
}

func rangeTitle(r *clickstreamv1.TimeRange) string {
	format := func(ts *timestamppb.Timestamp) string {
		return ts.AsTime().UTC().Format(time.RFC3339)
	}
	return format(r.GetStart()) + " – " + format(r.GetEnd())
}

// funnelRows are the table's rows, in order.
var funnelRows = []struct {
	label string
	value func(*clickstreamv1.Funnel) string
}{
	{"Sessions", func(f *clickstreamv1.Funnel) string { return count(f.GetSessions()) }},
	{"Cart sessions", func(f *clickstreamv1.Funnel) string { return count(f.GetCartSessions()) }},
	{"Purchase sessions", func(f *clickstreamv1.Funnel) string { return count(f.GetPurchaseSessions()) }},
	{"Purchases", func(f *clickstreamv1.Funnel) string { return count(f.GetPurchases()) }},
	{"Conversion rate", func(f *clickstreamv1.Funnel) string {
		return fmt.Sprintf("%.1f%%", f.GetConversionRate())
	}},
	{"Cart abandonment", func(f *clickstreamv1.Funnel) string {
		return fmt.Sprintf("%.1f%%", f.GetCartAbandonment())
	}},
	{"Avg items per purchase", func(f *clickstreamv1.Funnel) string {
		return fmt.Sprintf("%.2f", f.GetAvgItemsPerPurchase())
	}},
}

// writeFunnelTable prints one column per window: labels left-aligned,
// numbers right-aligned, the header bold when colour is on.
func writeFunnelTable(w io.Writer, cols []funnelColumn, colour bool) error {
	grid := [][]string{{""}}
	for _, c := range cols {
		grid[0] = append(grid[0], c.title)
	}
	for _, r := range funnelRows {
		row := []string{r.label}
		for _, c := range cols {
			row = append(row, r.value(c.funnel))
		}
		grid = append(grid, row)
	}

	widths := make([]int, len(grid[0]))
	for _, row := range grid {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	var b strings.Builder
	for i, row := range grid {
		line := alignRow(row, widths)
		if i == 0 {
			line = bold(line, colour)
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// alignRow pads the first cell on the right and the others on the left.
func alignRow(row []string, widths []int) string {
	var b strings.Builder
	for i, cell := range row {
		pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
		if i == 0 {
			b.WriteString(cell + pad)
			continue
		}
		b.WriteString("   " + pad + cell)
	}
	return b.String()
}

// bold wraps s in the terminal's bold attribute when on is set.
func bold(s string, on bool) string {
	if !on {
		return s
	}
	return "\033[1m" + s + "\033[0m"
}
