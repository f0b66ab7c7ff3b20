package control

import (
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/producer/internal/replay"
)

var states = map[replay.State]clickstreamv1.ReplayState{
	replay.Reading: clickstreamv1.ReplayState_REPLAY_STATE_READING,
	replay.Sending: clickstreamv1.ReplayState_REPLAY_STATE_SENDING,
	replay.Done:    clickstreamv1.ReplayState_REPLAY_STATE_DONE,
	replay.Stopped: clickstreamv1.ReplayState_REPLAY_STATE_STOPPED,
	replay.Failed:  clickstreamv1.ReplayState_REPLAY_STATE_FAILED,
}

func toProto(s replay.Snapshot) *clickstreamv1.Replay {
	r := &clickstreamv1.Replay{
		Id:              s.ID,
		State:           states[s.State],
		File:            s.Options.File,
		Limit:           s.Options.Limit,
		Speed:           s.Options.Speed,
		Rows:            s.Rows,
		Rejected:        s.Rejected,
		Total:           s.Total,
		Sent:            s.Sent,
		Bytes:           s.Bytes,
		StartedAt:       timestamppb.New(s.Started),
		Elapsed:         durationpb.New(s.Elapsed()),
		EventsPerSecond: s.Rate(),
		RejectsFile:     s.Options.RejectsFile,
	}
	if !s.Finished.IsZero() {
		r.FinishedAt = timestamppb.New(s.Finished)
	}
	if s.Err != nil {
		r.Error = s.Err.Error()
	}
	for _, rj := range s.Rejects {
		r.FirstRejections = append(r.FirstRejections, &clickstreamv1.Rejection{Line: rj.Line, Reason: rj.Reason})
	}
	return r
}
