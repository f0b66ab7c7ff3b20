// Package control serves the producer's gRPC API: start a replay, stop it,
// and follow its progress. One replay runs at a time.
package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/logging"
	"github.com/clickstream/clickstream/services/producer/internal/replay"
)

// MaxSpeed bounds the real-time speed factor.
const MaxSpeed = 1e6

// Runner runs one replay to its end; *replay.Replayer is one.
type Runner interface {
	Run(ctx context.Context, p *replay.Progress)
}

// Defaults fill what a start request leaves empty.
type Defaults struct {
	File        string // PRODUCER_FILE
	RejectsFile string // PRODUCER_REJECTS_FILE
}

// Server implements clickstream.v1.ProducerService.
type Server struct {
	clickstreamv1.UnimplementedProducerServiceServer

	runner   Runner
	defaults Defaults
	log      *slog.Logger
	starts   chan startRequest
	stopped  chan struct{}

	mu      sync.Mutex
	current *replay.Progress
	cancel  context.CancelFunc
	seq     int
}

var _ clickstreamv1.ProducerServiceServer = (*Server)(nil)

type startRequest struct {
	opt   replay.Options
	reply chan *replay.Progress
}

// New returns a server whose replays run through runner once [Server.Run]
// is running.
func New(runner Runner, defaults Defaults, log *slog.Logger) *Server {
	return &Server{
		runner:   runner,
		defaults: defaults,
		log:      logging.OrDiscard(log),
		starts:   make(chan startRequest),
		stopped:  make(chan struct{}),
	}
}

// Run launches the replays that StartReplay asks for, each under ctx, until
// ctx is done; then it stops the running replay, letting it flush.
func (s *Server) Run(ctx context.Context) error {
	defer close(s.stopped)
	for {
		select {
		case <-ctx.Done():
			if p := s.stopCurrent(); p != nil {
				<-p.Done()
			}
			return nil
		case req := <-s.starts:
			req.reply <- s.launch(ctx, req.opt)
		}
	}
}

// launch starts a replay unless one is running, in which case it returns nil.
func (s *Server) launch(ctx context.Context, opt replay.Options) *replay.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && !s.current.Snapshot().State.Ended() {
		return nil
	}
	s.seq++
	id := fmt.Sprintf("%s-%d", time.Now().UTC().Format("20060102T150405"), s.seq)
	p := replay.NewProgress(id, opt)
	rctx, cancel := context.WithCancel(ctx)
	s.current, s.cancel = p, cancel
	go func() {
		defer cancel()
		s.runner.Run(rctx, p)
	}()
	return p
}

func (s *Server) stopCurrent() *replay.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		s.cancel()
	}
	return s.current
}

func (s *Server) last() *replay.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// StartReplay validates the request and starts a replay.
func (s *Server) StartReplay(ctx context.Context, req *clickstreamv1.StartReplayRequest) (*clickstreamv1.StartReplayResponse, error) {
	opt, err := s.options(req)
	if err != nil {
		return nil, err
	}
	sr := startRequest{opt: opt, reply: make(chan *replay.Progress, 1)}
	select {
	case s.starts <- sr:
	case <-s.stopped:
		return nil, status.Error(codes.Unavailable, "the producer is shutting down")
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	p := <-sr.reply
	if p == nil {
		running := s.last().Snapshot()
		return nil, status.Errorf(codes.FailedPrecondition,
			"replay %s of %s is still running; stop it first", running.ID, running.Options.File)
	}
	return &clickstreamv1.StartReplayResponse{Replay: toProto(p.Snapshot())}, nil
}

func (s *Server) options(req *clickstreamv1.StartReplayRequest) (replay.Options, error) {
	opt := replay.Options{
		File:        req.GetFile(),
		Limit:       req.GetLimit(),
		Speed:       req.GetSpeed(),
		RejectsFile: req.GetRejectsFile(),
	}
	if opt.File == "" {
		opt.File = s.defaults.File
	}
	if opt.RejectsFile == "" {
		opt.RejectsFile = s.defaults.RejectsFile
	}
	switch {
	case opt.Limit < 0:
		return opt, status.Errorf(codes.InvalidArgument, "limit must be 0 (send all) or positive, got %d", opt.Limit)
	case math.IsNaN(opt.Speed) || opt.Speed < 0 || opt.Speed > MaxSpeed:
		return opt, status.Errorf(codes.InvalidArgument, "speed must be 0 (as fast as possible) or in (0, %g], got %g", float64(MaxSpeed), opt.Speed)
	case opt.File == "":
		return opt, status.Error(codes.InvalidArgument, "no file given and PRODUCER_FILE is not set")
	}
	st, err := os.Stat(opt.File)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return opt, status.Errorf(codes.NotFound, "file %s does not exist on the producer's host", opt.File)
	case err != nil:
		return opt, status.Errorf(codes.InvalidArgument, "file %s: %v", opt.File, err)
	case st.IsDir():
		return opt, status.Errorf(codes.InvalidArgument, "file %s is a directory", opt.File)
	}
	return opt, nil
}

// StopReplay stops the running replay and waits until it has flushed.
func (s *Server) StopReplay(ctx context.Context, _ *clickstreamv1.StopReplayRequest) (*clickstreamv1.StopReplayResponse, error) {
	p := s.stopCurrent()
	if p == nil {
		return nil, status.Error(codes.NotFound, "no replay has run since the producer started")
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &clickstreamv1.StopReplayResponse{Replay: toProto(p.Snapshot())}, nil
}

// GetReplay returns the running or the last replay.
func (s *Server) GetReplay(context.Context, *clickstreamv1.GetReplayRequest) (*clickstreamv1.GetReplayResponse, error) {
	resp := &clickstreamv1.GetReplayResponse{}
	if p := s.last(); p != nil {
		resp.Replay = toProto(p.Snapshot())
	}
	return resp, nil
}
