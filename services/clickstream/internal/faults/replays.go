package faults

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// running is a replay in progress.
type running struct {
	from      int   // its file's first send position
	startEnds int64 // the topic's end offsets when it started
	mustReach int64 // it must acknowledge this many before it is stopped
	sent      int64 // last reported
}

// killProducer kills the producer in the middle of its replay, starts it
// again and starts the replay again from where the killed one started. The
// killed replay's records on the topic are counted once the process is
// gone; the new one must go past them before it is stopped.
func (s *suite) killProducer(ctx context.Context) error {
	if err := s.services["producer"].kill(); err != nil {
		return err
	}
	killed := s.cur
	ends, err := s.settledEndOffsets(ctx)
	if err != nil {
		return err
	}
	written := ends - killed.startEnds
	s.ledger.add(replay{from: killed.from, sent: killed.sent, written: written})
	s.cur = nil
	s.logf("killed the producer: its replay from send position %d had put %d records on the topic", killed.from, written)
	if err := s.services["producer"].start(ctx); err != nil {
		return err
	}
	if err := s.startReplay(ctx, killed.from, s.speed); err != nil {
		return err
	}
	s.cur.mustReach = written + buffered
	return nil
}

// waitFlowing waits until the replay's first events are on the topic, and
// two seconds more: a replay that starts late catches up with its pace in
// one burst, which is not the trend.
func (s *suite) waitFlowing(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		if x, ok := s.sampler.last(); ok && s.cur != nil && x.Produced > s.cur.startEnds {
			return s.waitReplay(ctx, 2*time.Second)
		}
		if time.Now().After(deadline) {
			return errors.New("the replay sent nothing for a minute")
		}
		if err := s.waitReplay(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}

// perSecond returns the events a paced replay sends per second.
func (s *suite) perSecond() int64 {
	return int64(float64(s.feed.len()) / s.cfg.Pace.Seconds())
}

// waitReplay waits for d while keeping the replay going.
func (s *suite) waitReplay(ctx context.Context, d time.Duration) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if err := s.keepReplaying(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// keepReplaying notes the replay's progress. A replay that reached the end
// of its file is followed by one of the whole input, so that events keep
// flowing; one that failed is started again from where it started.
func (s *suite) keepReplaying(ctx context.Context) error {
	if s.cur == nil || !s.services["producer"].running() {
		return nil
	}
	r, err := s.getReplay(ctx)
	if err != nil {
		return nil // the producer may be busy or restarting; look again later
	}
	s.cur.sent = r.GetSent()
	switch r.GetState() {
	case clickstreamv1.ReplayState_REPLAY_STATE_DONE:
		if _, err := s.endReplay(ctx, r); err != nil {
			return err
		}
		s.logf("the input is all sent: replaying it again from the start")
		return s.startReplay(ctx, 0, s.speed)
	case clickstreamv1.ReplayState_REPLAY_STATE_FAILED, clickstreamv1.ReplayState_REPLAY_STATE_STOPPED:
		from := s.cur.from
		s.note("a replay ended %s (%s); the suite started it again", r.GetState(), r.GetError())
		written, err := s.endReplay(ctx, r)
		if err != nil {
			return err
		}
		if err := s.startReplay(ctx, from, s.speed); err != nil {
			return err
		}
		s.cur.mustReach = written + buffered // as after a kill: see [ledger]
		return nil
	}
	return nil
}

// startReplay starts a replay of the input from send position from on.
func (s *suite) startReplay(ctx context.Context, from int, speed float64) error {
	ends, err := s.endOffsets(ctx)
	if err != nil {
		return err
	}
	s.replays++
	path := filepath.Join(s.cfg.Work, fmt.Sprintf("replay-%d.csv", s.replays))
	if err := s.feed.write(path, from); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.producer.StartReplay(cctx, &clickstreamv1.StartReplayRequest{File: path, Speed: speed}); err != nil {
		return fmt.Errorf("start replay: %w", err)
	}
	s.cur = &running{from: from, startEnds: ends}
	return nil
}

// stopReplay stops the replay in progress, once it has gone as far as it
// must, and records what it sent.
func (s *suite) stopReplay(ctx context.Context) error {
	if s.cur == nil {
		return nil
	}
	deadline := time.Now().Add(recoveryTimeout)
	for s.cur != nil && s.cur.sent < s.cur.mustReach {
		if time.Now().After(deadline) {
			return fmt.Errorf("the replay acknowledged %d events, not the %d it must", s.cur.sent, s.cur.mustReach)
		}
		if err := s.waitReplay(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := s.producer.StopReplay(cctx, &clickstreamv1.StopReplayRequest{})
	if err != nil {
		return fmt.Errorf("stop replay: %w", err)
	}
	_, err = s.endReplay(ctx, resp.GetReplay())
	return err
}

// endReplay records the replay in progress as ended with r's state, and
// returns how many records it put on the topic.
func (s *suite) endReplay(ctx context.Context, r *clickstreamv1.Replay) (int64, error) {
	ends, err := s.endOffsets(ctx)
	if err != nil {
		return 0, err
	}
	cur := s.cur
	s.cur = nil
	done := r.GetState() == clickstreamv1.ReplayState_REPLAY_STATE_DONE || r.GetState() == clickstreamv1.ReplayState_REPLAY_STATE_STOPPED
	written := ends - cur.startEnds
	if done && written != r.GetSent() {
		s.note("the replay from send position %d acknowledged %d events, and the topic grew by %d records",
			cur.from, r.GetSent(), written)
	}
	s.ledger.add(replay{from: cur.from, sent: r.GetSent(), written: written, clean: done})
	return written, nil
}

func (s *suite) getReplay(ctx context.Context) (*clickstreamv1.Replay, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := s.producer.GetReplay(ctx, &clickstreamv1.GetReplayRequest{})
	if err != nil {
		return nil, err
	}
	return resp.GetReplay(), nil
}

// endOffsets reads the topic's end offsets, waiting up to a minute for a
// broker to answer.
func (s *suite) endOffsets(ctx context.Context) (int64, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		n, err := endOffsets(cctx, s.admin, s.names.topic)
		cancel()
		if err == nil {
			return n, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("topic %s end offsets: %w", s.names.topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// settledEndOffsets reads the topic's end offsets until two reads 300 ms
// apart agree: records a killed producer had in its socket buffers may
// still reach the broker after it is gone.
func (s *suite) settledEndOffsets(ctx context.Context) (int64, error) {
	prev, err := s.endOffsets(ctx)
	if err != nil {
		return 0, err
	}
	for range 20 {
		time.Sleep(300 * time.Millisecond)
		n, err := s.endOffsets(ctx)
		if err != nil {
			return 0, err
		}
		if n == prev {
			return n, nil
		}
		prev = n
	}
	return prev, nil
}
