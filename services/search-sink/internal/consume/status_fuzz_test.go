package consume

import (
	"context"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// FuzzGetStatusRequest decodes any bytes as a status request, which has no
// fields, and asks a replica holding any partitions with any lags: whatever
// decodes (unknown fields are kept and ignored) is answered, never with an
// error, with the owned partitions in order, their lags as last seen, and no
// offsets of its own.
func FuzzGetStatusRequest(f *testing.F) {
	f.Add([]byte{}, []byte{0, 1, 2, 3}, int64(250), int64(7), "", false)
	f.Add([]byte{0x08, 0x01}, []byte{3, 1, 3}, int64(0), int64(0), "opensearch: 429", true)
	f.Add([]byte{0x0a, 0x02, 'h', 'i'}, []byte{}, int64(0), int64(0), "", false)
	f.Add([]byte{0x0a, 0x05}, []byte{255}, int64(math.MaxInt64), int64(-1), "x", true)
	f.Fuzz(func(t *testing.T, b, ids []byte, lag, processed int64, lastErr string, degraded bool) {
		var req clickstreamv1.GetStatusRequest
		if proto.Unmarshal(b, &req) != nil {
			return // gRPC answers Internal before the handler runs
		}
		// Kafka's partition ids are never negative, nor are the lags kept.
		c := &Consumer{cfg: Config{Group: "g", Topic: "t"}, lag: map[int32]int64{}}
		c.processed.Store(processed)
		c.down.Store(degraded)
		if lastErr != "" {
			c.lastErr.Store(&lastErr)
		}
		for i, id := range ids {
			c.lag[int32(id)] = lag&math.MaxInt64 ^ int64(i)
		}

		resp, err := c.StatusServer().GetStatus(context.Background(), &req)
		if err != nil {
			t.Fatalf("GetStatus(%x) = %v", b, err)
		}
		if resp.ConsumerGroup != "g" || resp.Topic != "t" || resp.Processed != processed ||
			resp.LastError != lastErr || resp.Degraded != degraded {
			t.Fatalf("GetStatus = %v; want group g, topic t, processed %d, last error %q, degraded %v",
				resp, processed, lastErr, degraded)
		}
		if len(resp.Partitions) != len(c.lag) {
			t.Fatalf("GetStatus lists %d partitions, the replica owns %d", len(resp.Partitions), len(c.lag))
		}
		for i, p := range resp.Partitions {
			if i > 0 && resp.Partitions[i-1].Partition >= p.Partition {
				t.Fatalf("partitions out of order: %v", resp.Partitions)
			}
			if p.NextOffset != 0 || p.Lag != c.lag[p.Partition] || p.Lag < 0 {
				t.Fatalf("partition %d = next %d lag %d; want next 0 lag %d", p.Partition, p.NextOffset, p.Lag, c.lag[p.Partition])
			}
		}
	})
}
