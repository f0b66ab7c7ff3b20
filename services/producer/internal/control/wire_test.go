package control

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	platformserve "github.com/clickstream/clickstream/services/platform/serve"
	"github.com/clickstream/clickstream/services/producer/internal/replay"
)

// rawCodec sends and receives message bytes as they are. It is named
// "proto" so that the server decodes what it gets with its protobuf codec.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// serveReal runs the producer's API on a server built as every service
// builds it, on loopback ports.
func serveReal(t *testing.T) *grpc.ClientConn {
	t.Helper()
	srv, err := platformserve.Listen(platformserve.Options{Name: "producer", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctl := New(blockingRunner{make(chan *replay.Progress, 1)}, Defaults{}, nil)
	clickstreamv1.RegisterProducerServiceServer(srv.GRPC(), ctl)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- srv.Run(ctx) }()
	go func() { done <- ctl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; <-done })

	conn, err := grpc.NewClient(srv.GRPCAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestBadRequestsOnTheWire sends what no well-behaved client sends, and
// checks the code of each answer and that the server still answers after.
func TestBadRequestsOnTheWire(t *testing.T) {
	conn := serveReal(t)
	client := clickstreamv1.NewProducerServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	tests := []struct {
		name   string
		method string
		msg    []byte
		code   codes.Code
	}{
		// grpc-go answers a request it cannot decode with Internal, before
		// any handler runs.
		{"truncated field", "/clickstream.v1.ProducerService/StartReplay", []byte{0x0a, 0x10, 'x'}, codes.Internal},
		{"bad varint", "/clickstream.v1.ProducerService/StartReplay", []byte{0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, codes.Internal},
		{"string not UTF-8", "/clickstream.v1.ProducerService/StartReplay", []byte{0x0a, 0x02, 0xff, 0xfe}, codes.Internal},
		{"bytes for a field-less request", "/clickstream.v1.ProducerService/GetReplay", []byte{0x0f}, codes.Internal},
		{"unknown method", "/clickstream.v1.ProducerService/DeleteEverything", nil, codes.Unimplemented},
		{"unknown service", "/clickstream.v1.NoSuchService/GetReplay", nil, codes.Unimplemented},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reply []byte
			err := conn.Invoke(ctx, tc.method, tc.msg, &reply, grpc.ForceCodec(rawCodec{}))
			if got := status.Code(err); got != tc.code {
				t.Fatalf("Invoke(%s, %x) = %v, want code %v", tc.method, tc.msg, err, tc.code)
			}
			t.Logf("%v", err)
			if _, err := client.GetReplay(ctx, &clickstreamv1.GetReplayRequest{}); err != nil {
				t.Fatalf("GetReplay after the bad request = %v", err)
			}
		})
	}

	// Just under the limit the request reaches the handler, which refuses
	// the file name; just over it gRPC refuses the message itself.
	under := &clickstreamv1.StartReplayRequest{File: strings.Repeat("a", platformserve.MaxRecvMsgSize-16)}
	if _, err := client.StartReplay(ctx, under); status.Code(err) != codes.InvalidArgument ||
		!strings.HasPrefix(status.Convert(err).Message(), "file is longer than") {
		t.Fatalf("StartReplay of %d bytes = %v, want InvalidArgument from the handler", len(under.File), err)
	}
	over := &clickstreamv1.StartReplayRequest{File: strings.Repeat("a", platformserve.MaxRecvMsgSize)}
	_, err := client.StartReplay(ctx, over)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("StartReplay of %d bytes = %v, want ResourceExhausted", len(over.File), err)
	}
	t.Logf("%v", err)
	if _, err := client.GetReplay(ctx, &clickstreamv1.GetReplayRequest{}); err != nil {
		t.Fatalf("GetReplay after the oversized request = %v", err)
	}
}
