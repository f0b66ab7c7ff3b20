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
	"path/filepath"
	"strings"
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

// MaxPath bounds the length of a file name in a start request, in bytes:
// Linux's PATH_MAX.
const MaxPath = 4096

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
	opt, err := checkStart(req, s.defaults)
	if err != nil {
		return opt, err
	}
	return opt, checkFiles(opt)
}

// checkStart checks a start request and fills in the defaults, without
// looking at the file system. It returns an InvalidArgument status whose
// message starts with the name of the field at fault.
func checkStart(req *clickstreamv1.StartReplayRequest, defaults Defaults) (replay.Options, error) {
	opt := replay.Options{
		File:        req.GetFile(),
		Limit:       req.GetLimit(),
		Speed:       req.GetSpeed(),
		RejectsFile: req.GetRejectsFile(),
	}
	if opt.File == "" {
		opt.File = defaults.File
	}
	if opt.RejectsFile == "" {
		opt.RejectsFile = defaults.RejectsFile
	}
	switch {
	case opt.Limit < 0:
		return opt, status.Errorf(codes.InvalidArgument, "limit must be 0 (send all) or positive, got %d", opt.Limit)
	case math.IsNaN(opt.Speed) || opt.Speed < 0 || opt.Speed > MaxSpeed:
		return opt, status.Errorf(codes.InvalidArgument, "speed must be 0 (as fast as possible) or in (0, %g], got %g", float64(MaxSpeed), opt.Speed)
	case opt.File == "":
		return opt, status.Error(codes.InvalidArgument, "file is empty and PRODUCER_FILE is not set")
	case len(opt.File) > MaxPath:
		return opt, status.Errorf(codes.InvalidArgument, "file is longer than %d bytes", MaxPath)
	case len(opt.RejectsFile) > MaxPath:
		return opt, status.Errorf(codes.InvalidArgument, "rejects_file is longer than %d bytes", MaxPath)
	case strings.IndexByte(opt.File, 0) >= 0:
		return opt, status.Error(codes.InvalidArgument, "file must not hold a NUL byte")
	case strings.IndexByte(opt.RejectsFile, 0) >= 0:
		return opt, status.Error(codes.InvalidArgument, "rejects_file must not hold a NUL byte")
	case opt.RejectsFile != "" && filepath.Clean(opt.RejectsFile) == filepath.Clean(opt.File):
		return opt, status.Errorf(codes.InvalidArgument, "rejects_file %s is the file to replay; it would be overwritten", opt.RejectsFile)
	}
	return opt, nil
}

// checkFiles checks that the file to replay is there and that the rejects
// file, when it exists already, is neither a directory nor the same file
// under another name.
func checkFiles(opt replay.Options) error {
	st, err := os.Stat(opt.File)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return status.Errorf(codes.NotFound, "file %s does not exist on the producer's host", opt.File)
	case err != nil:
		return status.Errorf(codes.InvalidArgument, "file %s: %v", opt.File, err)
	case st.IsDir():
		return status.Errorf(codes.InvalidArgument, "file %s is a directory", opt.File)
	}
	if opt.RejectsFile == "" {
		return nil
	}
	rst, err := os.Stat(opt.RejectsFile)
	switch {
	case err != nil:
		return nil // created at the start of the replay, which fails if it cannot be
	case rst.IsDir():
		return status.Errorf(codes.InvalidArgument, "rejects_file %s is a directory", opt.RejectsFile)
	case os.SameFile(st, rst):
		return status.Errorf(codes.InvalidArgument, "rejects_file %s is the file to replay; it would be overwritten", opt.RejectsFile)
	}
	return nil
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
