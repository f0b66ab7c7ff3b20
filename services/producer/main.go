// Command producer replays click events from a CSV file into Kafka.
package main

import "github.com/clickstream/clickstream/services/platform/serve"

func main() {
	serve.Main(serve.Spec[struct{}]{
		Name:     "producer",
		GRPCAddr: "127.0.0.1:50051",
		HTTPAddr: "127.0.0.1:8081",
	})
}
