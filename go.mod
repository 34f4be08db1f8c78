module github.com/lazarus-dr/lazarus

go 1.26.0

require (
	github.com/hashicorp/go-multierror v1.1.1
	github.com/spf13/cobra v1.10.2
	go.temporal.io/sdk v1.50.0
	go.uber.org/zap v1.28.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/hashicorp/errwrap v1.0.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	go.uber.org/multierr v1.10.0 // indirect
)
