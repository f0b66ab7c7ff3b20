// Command analytics answers funnel and pipeline status questions over gRPC.
package main

import "github.com/clickstream/clickstream/services/platform/serve"

func main() {
	serve.Main(serve.Spec[struct{}]{
		Name:     "analytics",
		GRPCAddr: "127.0.0.1:50054",
		HTTPAddr: "127.0.0.1:8084",
	})
}
