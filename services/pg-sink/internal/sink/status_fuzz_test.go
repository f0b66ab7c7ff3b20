package sink

import (
	"context"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// FuzzGetStatusRequest decodes any bytes as a status request, which has no
// fields, and asks a replica holding any partitions at any offsets: whatever
// decodes (unknown fields are kept and ignored) is answered, never with an
// error, with the owned partitions in order and lags that are never
// negative.
func FuzzGetStatusRequest(f *testing.F) {
	f.Add([]byte{}, []byte{0, 1, 2, 3}, int64(100), int64(250), int64(7), "", false)
	f.Add([]byte{0x08, 0x01}, []byte{3, 1, 3}, int64(500), int64(20), int64(0), "postgresql: down", true)
	f.Add([]byte{0x0a, 0x02, 'h', 'i'}, []byte{}, int64(0), int64(0), int64(0), "", false)
	f.Add([]byte{0x0a, 0x05}, []byte{255}, int64(math.MaxInt64), int64(-1), int64(-1), "x", true)
	f.Fuzz(func(t *testing.T, b, ids []byte, next, hw, processed int64, lastErr string, degraded bool) {
		var req clickstreamv1.GetStatusRequest
		if proto.Unmarshal(b, &req) != nil {
			return // gRPC answers Internal before the handler runs
		}
		// Kafka's partition ids and offsets are never negative.
		s := &Sink{cfg: Config{Group: "g", Topic: "t"}, parts: map[int32]*partition{}}
		s.processed.Store(processed)
		s.valkeyDown.Store(degraded)
		if lastErr != "" {
			s.lastErr.Store(&lastErr)
		}
		nexts, hws := map[int32]int64{}, map[int32]int64{}
		for i, id := range ids {
			p := &partition{id: int32(id)}
			nexts[p.id] = next&(math.MaxInt64>>1) + int64(i)
			hws[p.id] = hw&math.MaxInt64 ^ int64(i)
			p.nextOffset.Store(nexts[p.id])
			p.highWatermark.Store(hws[p.id])
			s.parts[p.id] = p
		}

		resp, err := s.StatusServer().GetStatus(context.Background(), &req)
		if err != nil {
			t.Fatalf("GetStatus(%x) = %v", b, err)
		}
		if resp.ConsumerGroup != "g" || resp.Topic != "t" || resp.Processed != processed ||
			resp.LastError != lastErr || resp.Degraded != degraded {
			t.Fatalf("GetStatus = %v; want group g, topic t, processed %d, last error %q, degraded %v",
				resp, processed, lastErr, degraded)
		}
		if len(resp.Partitions) != len(s.parts) {
			t.Fatalf("GetStatus lists %d partitions, the replica owns %d", len(resp.Partitions), len(s.parts))
		}
		for i, p := range resp.Partitions {
			if i > 0 && resp.Partitions[i-1].Partition >= p.Partition {
				t.Fatalf("partitions out of order: %v", resp.Partitions)
			}
			if want := max(hws[p.Partition]-nexts[p.Partition], 0); p.NextOffset != nexts[p.Partition] || p.Lag != want {
				t.Fatalf("partition %d = next %d lag %d; want next %d lag %d",
					p.Partition, p.NextOffset, p.Lag, nexts[p.Partition], want)
			}
		}
	})
}
