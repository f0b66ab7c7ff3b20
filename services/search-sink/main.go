// Command search-sink consumes click events from Kafka into an OpenSearch index.
package main

import "github.com/clickstream/clickstream/services/platform/serve"

func main() {
	serve.Main(serve.Spec[struct{}]{
		Name:     "search-sink",
		GRPCAddr: "127.0.0.1:50053",
		HTTPAddr: "127.0.0.1:8083",
	})
}
