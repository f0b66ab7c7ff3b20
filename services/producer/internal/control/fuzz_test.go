package control

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/producer/internal/replay"
)

// FuzzStartReplayRequest checks [checkStart] with any field values and any
// defaults: it never panics; it accepts exactly the requests whose fields
// all keep the rules, and the options it returns keep them too; and a
// rejection is InvalidArgument, naming a field that breaks a rule.
func FuzzStartReplayRequest(f *testing.F) {
	f.Add("data/events.csv", int64(0), 0.0, "", "", "")
	f.Add("", int64(10), 5.0, "", "data/events.csv", "rejects.csv")
	f.Add("", int64(0), 0.0, "", "", "")
	f.Add("a.csv", int64(-1), math.NaN(), "a.csv", "", "")
	f.Add("a.csv", int64(math.MaxInt64), math.Inf(1), "./a.csv", "", "")
	f.Add("dir/../a.csv", int64(1), 1e6, "a.csv", "", "")
	f.Add("a\x00b", int64(1), -0.0, "", "", "r\x00")
	f.Add("", int64(3), 1e-300, "", "d.csv", "d.csv")
	f.Add(strings.Repeat("a/", MaxPath/2)+"b", int64(1), 1.0, "", "", strings.Repeat("r", MaxPath))
	f.Fuzz(func(t *testing.T, file string, limit int64, speed float64, rejects, defFile, defRejects string) {
		req := &clickstreamv1.StartReplayRequest{File: file, Limit: limit, Speed: speed, RejectsFile: rejects}
		opt, err := checkStart(req, Defaults{File: defFile, RejectsFile: defRejects})

		wantFile, wantRejects := or(file, defFile), or(rejects, defRejects)
		bad := map[string]bool{
			"limit": limit < 0,
			"speed": math.IsNaN(speed) || speed < 0 || speed > MaxSpeed,
			"file":  wantFile == "" || len(wantFile) > MaxPath || strings.ContainsRune(wantFile, 0),
			"rejects_file": len(wantRejects) > MaxPath || strings.ContainsRune(wantRejects, 0) ||
				wantRejects != "" && filepath.Clean(wantRejects) == filepath.Clean(wantFile),
		}
		anyBad := bad["limit"] || bad["speed"] || bad["file"] || bad["rejects_file"]

		if err != nil {
			field := rejectedField(t, err)
			if !bad[field] {
				t.Fatalf("checkStart(%+v) names %s, which keeps the rules: %v", req, field, err)
			}
			return
		}
		if anyBad {
			t.Fatalf("checkStart(%+v, defaults %q, %q) accepted a request that breaks a rule: %v", req, defFile, defRejects, bad)
		}
		want := replay.Options{File: wantFile, Limit: limit, Speed: speed, RejectsFile: wantRejects}
		if opt != want {
			t.Fatalf("checkStart(%+v) = %+v, want %+v", req, opt, want)
		}
	})
}

// rejectedField checks that err is an InvalidArgument status whose message
// starts with the name of a request field, and returns that name.
func rejectedField(t *testing.T, err error) string {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		t.Fatalf("rejection %v is not an InvalidArgument status", err)
	}
	field, _, _ := strings.Cut(st.Message(), " ")
	switch field {
	case "file", "limit", "speed", "rejects_file":
		return field
	}
	t.Fatalf("rejection %q does not start with a field's name", st.Message())
	return ""
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// FuzzStopAndGetReplay decodes any bytes as StopReplay and GetReplay
// requests, which have no fields: whatever decodes (unknown fields are kept
// and ignored) is answered, before a replay as after one, and never with
// InvalidArgument.
func FuzzStopAndGetReplay(f *testing.F) {
	f.Add([]byte{}, false)
	f.Add([]byte{0x08, 0x01}, true)                // an unknown varint field
	f.Add([]byte{0x0a, 0x03, 'a', 'b', 'c'}, true) // an unknown bytes field
	f.Add([]byte{0x0a, 0x05, 'a'}, false)          // truncated
	f.Fuzz(func(t *testing.T, b []byte, ran bool) {
		s := New(nil, Defaults{}, nil)
		var last *replay.Progress
		if ran {
			last = replay.NewProgress("test-1", replay.Options{File: "a.csv"})
			last.End(replay.Done, nil)
			s.current, s.cancel = last, func() {}
		}
		ctx := context.Background()

		var stop clickstreamv1.StopReplayRequest
		if proto.Unmarshal(b, &stop) == nil {
			resp, err := s.StopReplay(ctx, &stop)
			switch {
			case !ran && status.Code(err) != codes.NotFound:
				t.Fatalf("StopReplay before any replay = %v, want NotFound", err)
			case ran && (err != nil || resp.GetReplay().GetId() != last.ID):
				t.Fatalf("StopReplay after a replay = %v, %v; want replay %s", resp, err, last.ID)
			}
		}
		var get clickstreamv1.GetReplayRequest
		if proto.Unmarshal(b, &get) == nil {
			resp, err := s.GetReplay(ctx, &get)
			switch {
			case err != nil:
				t.Fatalf("GetReplay = %v, want no error", err)
			case !ran && resp.Replay != nil, ran && resp.GetReplay().GetId() != last.ID:
				t.Fatalf("GetReplay = %v with ran=%v", resp, ran)
			}
		}
	})
}
