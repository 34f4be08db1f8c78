package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/logging"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
)

// temporalFlags are the connection flags of every command that talks to
// Temporal: the temporal CLI's (internal/tconn declares and resolves them:
// flags, then TEMPORAL_* variables, then the temporal.toml profile), the
// Web UI's address and the SDK's log level.
type temporalFlags struct {
	conn     tconn.Config
	logLevel string
}

func (f *temporalFlags) add(c *cobra.Command) {
	fs := c.PersistentFlags()
	f.conn.AddFlags(fs)
	fs.StringVar(&f.conn.UI, "ui", "", "Temporal Web UI base URL (default: $LAZARUS_UI_ADDRESS, else http://localhost:8233)")
	fs.StringVar(&f.logLevel, "log-level", "warn", "SDK log level: debug, info, warn or error")
}

// dial connects with the flags. Bad connection input is a
// *tconn.ConfigError, on which the CLI exits 2 (see exitCode).
func (f *temporalFlags) dial(ctx context.Context) (client.Client, string, error) {
	log, err := logging.New(f.logLevel, false)
	if err != nil {
		return nil, "", err
	}
	cfg := f.conn
	cfg.Logger = log
	c, opts, err := tconn.Dial(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return c, opts.Namespace, nil
}

// hostPort is the address the flags resolve to (the --address value when
// they do not resolve), for messages.
func (f *temporalFlags) hostPort() string {
	if opts, err := f.conn.ClientOptions(); err == nil {
		return opts.HostPort
	}
	return f.conn.Address
}

// withClient makes the RunE of a command that talks to Temporal: it dials
// with the flags, runs fn with the client and its namespace, and closes the
// client when fn returns.
func (f *temporalFlags) withClient(fn func(cmd *cobra.Command, args []string, c client.Client, ns string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, ns, err := f.dial(cmd.Context())
		if err != nil {
			return err
		}
		defer c.Close()
		return fn(cmd, args, c, ns)
	}
}

func (f *temporalFlags) workflowURL(ns, id string) string {
	return tconn.WorkflowURL(f.conn.UI, ns, id)
}
func (f *temporalFlags) listURL(ns, q string) string { return tconn.ListURL(f.conn.UI, ns, q) }
func (f *temporalFlags) nsURL(ns string) string      { return tconn.NamespaceURL(f.conn.UI, ns) }

// platformFlag is the platform description file flag.
func addPlatformFlag(c *cobra.Command, p *string) {
	def := os.Getenv("LAZARUS_PLATFORM")
	if def == "" {
		def = ".state/sandbox/platform.yaml"
	}
	c.Flags().StringVar(p, "platform", def, "platform description file ($LAZARUS_PLATFORM)")
}

// directory builds the platform's ID directory from the description file.
func directory(path string) (platform.Directory, *platform.Description, error) {
	desc, err := platform.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (start the sandbox with `lazarus sandbox up`, or pass --platform FILE)", err)
	}
	if desc.Services.Catalog == "" {
		return nil, nil, fmt.Errorf("platform description %s: services.catalog is empty: the preflight needs the catalog's ID lookup", path)
	}
	return httpapi.New(desc.Services), desc, nil
}
