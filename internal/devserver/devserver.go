// Package devserver starts a Temporal dev server for tests and benchmarks:
// the pinned CLI found by internal/tools (never downloaded), every Lazarus
// search attribute registered, SQLite pragmas and eager activities set as
// DESIGN.md measured them.
//
// It must never be used by the worker or the CLI in production paths.
package devserver

import (
	"context"
	"fmt"
	"io"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/internal/tools"
	"github.com/lazarus-dr/lazarus/workflows"
)

// Options of Start.
type Options struct {
	// DBFile persists the server's state (with WAL pragmas); empty = memory.
	DBFile string
	// UI enables the Web UI (on UIPort, or a free port).
	UI     bool
	UIPort string
	// Logs receive the server's output (nil: discarded).
	Logs io.Writer
}

// Start starts a dev server on a free loopback port.
func Start(ctx context.Context, o Options) (*testsuite.DevServer, error) {
	bin, err := tools.TemporalCLI()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
		"--dynamic-config-value", "history.maximumBufferedEventsBatch=1000", // as scripts/up.sh
	}
	if o.DBFile != "" {
		args = append(args, "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")
	}
	for _, sa := range workflows.SearchAttributeTypes {
		args = append(args, "--search-attribute", sa)
	}
	logs := o.Logs
	if logs == nil {
		logs = io.Discard
	}
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: bin,
		// The client a test gets decodes what Lazarus's clients write
		// (tconn: compressed payloads, internal/codec).
		ClientOptions: &client.Options{Namespace: "default", DataConverter: codec.DataConverter()},
		DBFilename:    o.DBFile,
		EnableUI:      o.UI,
		UIPort:        o.UIPort,
		LogLevel:      "error",
		ExtraArgs:     args,
		Stdout:        logs,
		Stderr:        logs,
	})
	if err != nil {
		return nil, fmt.Errorf("start Temporal dev server (%s): %w", bin, err)
	}
	return srv, nil
}
