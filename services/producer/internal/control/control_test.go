package control

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/producer/internal/replay"
)

// blockingRunner is a Runner that holds every replay until it is stopped.
type blockingRunner struct{ started chan *replay.Progress }

func (r blockingRunner) Run(ctx context.Context, p *replay.Progress) {
	r.started <- p
	<-ctx.Done()
	p.End(replay.Stopped, nil)
}

func serve(t *testing.T, runner Runner, defaults Defaults) clickstreamv1.ProducerServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	ctl := New(runner, defaults, nil)
	clickstreamv1.RegisterProducerServiceServer(srv, ctl)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ctl.Run(ctx); close(done) }()
	go srv.Serve(lis)
	t.Cleanup(func() { cancel(); <-done; srv.Stop() })

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return clickstreamv1.NewProducerServiceClient(conn)
}

func TestStartReplayValidation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.csv")
	if err := os.WriteFile(file, []byte("timestamp,visitorid,event,itemid,transactionid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.csv")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	client := serve(t, blockingRunner{make(chan *replay.Progress, 1)}, Defaults{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tests := []struct {
		name string
		req  *clickstreamv1.StartReplayRequest
		code codes.Code
		want string // the start of the message
	}{
		{"negative limit", &clickstreamv1.StartReplayRequest{File: file, Limit: -1}, codes.InvalidArgument, "limit must be"},
		{"negative speed", &clickstreamv1.StartReplayRequest{File: file, Speed: -2}, codes.InvalidArgument, "speed must be"},
		{"huge speed", &clickstreamv1.StartReplayRequest{File: file, Speed: 1e9}, codes.InvalidArgument, "speed must be"},
		{"no file and no default", &clickstreamv1.StartReplayRequest{}, codes.InvalidArgument, "file is empty"},
		{"missing file", &clickstreamv1.StartReplayRequest{File: file + ".nope"}, codes.NotFound, "file " + file + ".nope does not exist"},
		{"directory", &clickstreamv1.StartReplayRequest{File: filepath.Dir(file)}, codes.InvalidArgument, "file " + filepath.Dir(file) + " is a directory"},
		{"rejects into the input", &clickstreamv1.StartReplayRequest{File: file, RejectsFile: file}, codes.InvalidArgument, "rejects_file " + file + " is the file to replay"},
		{"rejects into the input by a link", &clickstreamv1.StartReplayRequest{File: file, RejectsFile: link}, codes.InvalidArgument, "rejects_file " + link + " is the file to replay"},
		{"rejects into a directory", &clickstreamv1.StartReplayRequest{File: file, RejectsFile: filepath.Dir(file)}, codes.InvalidArgument, "rejects_file " + filepath.Dir(file) + " is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.StartReplay(ctx, tc.req)
			if got := status.Code(err); got != tc.code {
				t.Fatalf("StartReplay = %v, want code %v", err, tc.code)
			}
			if msg := status.Convert(err).Message(); !strings.HasPrefix(msg, tc.want) {
				t.Fatalf("message %q, want one starting %q", msg, tc.want)
			}
		})
	}
}

func TestOneReplayAtATime(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.csv")
	os.WriteFile(file, nil, 0o644)
	runner := blockingRunner{make(chan *replay.Progress, 2)}
	client := serve(t, runner, Defaults{File: file})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if resp, err := client.GetReplay(ctx, &clickstreamv1.GetReplayRequest{}); err != nil || resp.Replay != nil {
		t.Fatalf("GetReplay before any replay = %v, %v; want empty", resp, err)
	}
	first, err := client.StartReplay(ctx, &clickstreamv1.StartReplayRequest{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if first.Replay.File != file || first.Replay.Limit != 5 {
		t.Fatalf("started %+v, want the default file and limit 5", first.Replay)
	}
	<-runner.started

	_, err = client.StartReplay(ctx, &clickstreamv1.StartReplayRequest{})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("second StartReplay = %v, want FailedPrecondition", err)
	}

	stopped, err := client.StopReplay(ctx, &clickstreamv1.StopReplayRequest{})
	if err != nil || stopped.Replay.Id != first.Replay.Id ||
		stopped.Replay.State != clickstreamv1.ReplayState_REPLAY_STATE_STOPPED {
		t.Fatalf("StopReplay = %v, %v; want replay %s stopped", stopped, err, first.Replay.Id)
	}

	again, err := client.StartReplay(ctx, &clickstreamv1.StartReplayRequest{})
	if err != nil || again.Replay.Id == first.Replay.Id {
		t.Fatalf("StartReplay after stop = %v, %v; want a new replay", again, err)
	}
	<-runner.started
	got, err := client.GetReplay(ctx, &clickstreamv1.GetReplayRequest{})
	if err != nil || got.Replay.Id != again.Replay.Id {
		t.Fatalf("GetReplay = %v, %v; want replay %s", got, err, again.Replay.Id)
	}
}
