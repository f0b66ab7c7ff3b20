module github.com/clickstream/clickstream/services/clickstream

go 1.26.0

require github.com/spf13/cobra v1.10.2

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
)

replace github.com/clickstream/clickstream/services/platform => ../platform
