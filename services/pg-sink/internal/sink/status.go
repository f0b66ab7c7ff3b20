package sink

import (
	"context"
	"slices"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// Status serves clickstream.v1.SinkService for this replica.
type Status struct {
	clickstreamv1.UnimplementedSinkServiceServer
	sink *Sink
}

var _ clickstreamv1.SinkServiceServer = Status{}

// StatusServer returns the sink's status service.
func (s *Sink) StatusServer() Status { return Status{sink: s} }

// GetStatus reports the owned partitions, their lag, and the last error.
func (st Status) GetStatus(context.Context, *clickstreamv1.GetStatusRequest) (*clickstreamv1.GetStatusResponse, error) {
	s := st.sink
	resp := &clickstreamv1.GetStatusResponse{
		ConsumerGroup: s.cfg.Group,
		Topic:         s.cfg.Topic,
		Processed:     s.processed.Load(),
		Degraded:      s.valkeyDown.Load(),
	}
	if e := s.lastErr.Load(); e != nil {
		resp.LastError = *e
	}
	s.mu.Lock()
	for id, p := range s.parts {
		resp.Partitions = append(resp.Partitions, &clickstreamv1.PartitionStatus{
			Partition:  id,
			NextOffset: p.nextOffset.Load(),
			Lag:        max(p.highWatermark.Load()-p.nextOffset.Load(), 0),
		})
	}
	s.mu.Unlock()
	slices.SortFunc(resp.Partitions, func(a, b *clickstreamv1.PartitionStatus) int { return int(a.Partition - b.Partition) })
	return resp, nil
}
