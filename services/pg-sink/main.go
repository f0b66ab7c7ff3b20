// Command pg-sink consumes click events from Kafka into PostgreSQL events and sessions.
package main

import "github.com/clickstream/clickstream/services/platform/serve"

func main() {
	serve.Main(serve.Spec[struct{}]{
		Name:     "pg-sink",
		GRPCAddr: "127.0.0.1:50052",
		HTTPAddr: "127.0.0.1:8082",
	})
}
