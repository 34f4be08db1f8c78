// Package tconn connects the worker and the CLI to Temporal the standard
// way (Temporal's environment configuration: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and
// the temporal.toml profile file), and builds Temporal Web UI links.
//
// It must never start workflows or workers: it only makes clients and links.
package tconn

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/logging"
)

// Defaults when neither flags nor the environment say otherwise.
const (
	DefaultAddress   = "localhost:7233"
	DefaultNamespace = "default"
	DefaultUI        = "http://localhost:8233"
)

// Config overrides the environment (flags win over the environment).
type Config struct {
	Address   string
	Namespace string
	// UI is the Web UI's base URL (LAZARUS_UI_ADDRESS, else http://localhost:8233).
	UI     string
	Logger *zap.Logger
}

// ClientOptions loads client options from Temporal's environment
// configuration, then applies the overrides.
func ClientOptions(cfg Config) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal environment configuration: %w", err)
	}
	if cfg.Address != "" {
		opts.HostPort = cfg.Address
	}
	if opts.HostPort == "" {
		opts.HostPort = DefaultAddress
	}
	if cfg.Namespace != "" {
		opts.Namespace = cfg.Namespace
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if cfg.Logger != nil {
		opts.Logger = logging.NewTemporalLogger(cfg.Logger)
	}
	if opts.ConnectionOptions.GrpcCompression == nil && loopback(opts.HostPort) {
		// gzip buys nothing over loopback and costs CPU on both ends of
		// every call: 9% of the worker's CPU in the demo's profile, and as
		// much again in the server that inflates and deflates.
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	return opts, nil
}

// loopback says whether host:port names this machine (localhost or a
// loopback IP).
func loopback(hostPort string) bool {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		host = hostPort
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Dial connects to Temporal.
func Dial(ctx context.Context, cfg Config) (client.Client, client.Options, error) {
	opts, err := ClientOptions(cfg)
	if err != nil {
		return nil, opts, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, opts, fmt.Errorf("connect to Temporal at %s (namespace %s): %w (is the dev server up? `make up`)", opts.HostPort, opts.Namespace, err)
	}
	return c, opts, nil
}

// UIBase returns the Web UI base URL: cfg.UI, else $LAZARUS_UI_ADDRESS, else
// http://localhost:8233.
func UIBase(ui string) string {
	if ui == "" {
		ui = os.Getenv("LAZARUS_UI_ADDRESS")
	}
	if ui == "" {
		ui = DefaultUI
	}
	return strings.TrimRight(ui, "/")
}

// NamespaceURL is the Web UI page of a namespace.
func NamespaceURL(ui, namespace string) string {
	return UIBase(ui) + "/namespaces/" + url.PathEscape(namespace)
}

// WorkflowURL is the Web UI page of a workflow.
func WorkflowURL(ui, namespace, workflowID string) string {
	return NamespaceURL(ui, namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// ListURL is the Web UI's workflow list filtered by a visibility query.
func ListURL(ui, namespace, query string) string {
	return NamespaceURL(ui, namespace) + "/workflows?query=" + url.QueryEscape(query)
}
