package consume

import (
	"context"
	"slices"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// Status serves clickstream.v1.SinkService for this replica.
type Status struct {
	clickstreamv1.UnimplementedSinkServiceServer
	c *Consumer
}

var _ clickstreamv1.SinkServiceServer = Status{}

// StatusServer returns the consumer's status service.
func (c *Consumer) StatusServer() Status { return Status{c: c} }

// GetStatus reports the owned partitions and their lag. The search-sink
// keeps no offsets of its own: next_offset is 0 and the group's committed
// offsets in Kafka are the truth.
func (st Status) GetStatus(context.Context, *clickstreamv1.GetStatusRequest) (*clickstreamv1.GetStatusResponse, error) {
	c := st.c
	resp := &clickstreamv1.GetStatusResponse{
		ConsumerGroup: c.cfg.Group,
		Topic:         c.cfg.Topic,
		Processed:     c.processed.Load(),
		Degraded:      c.down.Load(),
	}
	if e := c.lastErr.Load(); e != nil {
		resp.LastError = *e
	}
	c.mu.Lock()
	for p, lag := range c.lag {
		resp.Partitions = append(resp.Partitions, &clickstreamv1.PartitionStatus{Partition: p, Lag: lag})
	}
	c.mu.Unlock()
	slices.SortFunc(resp.Partitions, func(a, b *clickstreamv1.PartitionStatus) int { return int(a.Partition - b.Partition) })
	return resp, nil
}
