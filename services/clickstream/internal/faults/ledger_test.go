package faults

import (
	"strings"
	"testing"
)

func TestLedgerSettle(t *testing.T) {
	tests := []struct {
		name    string
		covered int // before
		replays []replay
		want    int
		wantErr string
	}{
		{
			name:    "one clean replay",
			replays: []replay{{from: 0, sent: 500, written: 500, clean: true}},
			want:    500,
		},
		{
			name:    "continues from where the last checkpoint was",
			covered: 500,
			replays: []replay{{from: 500, sent: 200, written: 200, clean: true}},
			want:    700,
		},
		{
			name:    "a replay of the whole input again covers nothing new",
			covered: 10_000,
			replays: []replay{{from: 0, sent: 4000, written: 4000, clean: true}},
			want:    10_000,
		},
		{
			name:    "killed, then sent again past the killed one's reach",
			covered: 100,
			replays: []replay{
				{from: 100, sent: 300, written: 350},
				{from: 100, sent: 1400, written: 1400, clean: true},
			},
			want: 1500,
		},
		{
			name:    "replays added out of order still chain",
			replays: []replay{{from: 300, sent: 100, written: 100, clean: true}, {from: 0, sent: 300, written: 300, clean: true}},
			want:    400,
		},
		{
			name:    "killed, and the next replay stopped too early",
			covered: 100,
			replays: []replay{
				{from: 100, sent: 300, written: 350},
				{from: 100, sent: 1000, written: 1000, clean: true},
			},
			want:    1100,
			wantErr: "may have sent positions up to 1450",
		},
		{
			name:    "a killed replay's reach ends with the input",
			covered: 9000,
			replays: []replay{
				{from: 9000, sent: 800, written: 900},
				{from: 9000, sent: 1000, written: 1000, clean: true},
			},
			want: 10_000,
		},
		{
			name:    "a gap",
			covered: 100,
			replays: []replay{{from: 200, sent: 100, written: 100, clean: true}},
			want:    100,
			wantErr: "started at send position 200, past the 100",
		},
		{
			name:    "a clean replay that put a record twice covers what it acknowledged",
			replays: []replay{{from: 0, sent: 500, written: 501, clean: true}},
			want:    500,
		},
		{
			name:    "a replay that failed",
			replays: []replay{{from: 0, sent: 500, written: 501}},
			want:    0,
			wantErr: "did not end cleanly",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := ledger{rows: 10_000, buffered: 1000, covered: tc.covered}
			for _, r := range tc.replays {
				l.add(r)
			}
			got, err := l.settle()
			if got != tc.want {
				t.Errorf("settle() covered %d, want %d", got, tc.want)
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("settle() error %v, want none", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("settle() error %v, want one containing %q", err, tc.wantErr)
			}
			if len(l.open) != 0 {
				t.Errorf("settle() left %d replays open", len(l.open))
			}
		})
	}
}
