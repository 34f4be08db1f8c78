// Package tconn connects the worker and the CLI to Temporal the way the
// temporal CLI does: its connection flags (--address, --namespace,
// --api-key, --tls*, --codec-*, --profile, --config-file, --identity), then
// its environment variables (TEMPORAL_*), then a profile of the temporal.toml
// file (go.temporal.io/sdk/contrib/envconfig), then the defaults. It also
// builds Temporal Web UI links.
//
// It must never start workflows or workers: it only makes clients and links.
// It must never choose a data converter of its own: the client's is the
// remote codec that --codec-endpoint or the profile names, else the SDK's.
package tconn

import (
	"context"
	"fmt"
	"net"
	"strings"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// Defaults when neither flags, the environment nor a profile say otherwise.
const (
	DefaultAddress   = "localhost:7233"
	DefaultNamespace = "default"
)

// Config says how to reach Temporal. Its connection fields are the temporal
// CLI's flags (AddFlags declares them); one left empty falls back to the
// environment, then to the temporal.toml profile, then to the defaults.
type Config struct {
	Address   string
	Namespace string
	// APIKey authenticates (Temporal Cloud); it turns TLS on unless TLS is
	// set false.
	APIKey string
	// TLS forces TLS on or off; unset, TLS is on when an API key or any
	// TLS setting asks for it.
	TLS OptionalBool
	// TLSCertPath and TLSKeyPath are the client certificate and its key
	// (mTLS); TLSCAPath the CA that signed the server's certificate.
	TLSCertPath   string
	TLSKeyPath    string
	TLSCAPath     string
	TLSServerName string
	// TLSDisableHostVerification skips the check of the server's name.
	TLSDisableHostVerification bool
	// CodecEndpoint is a remote payload codec (HTTP); CodecAuth its
	// Authorization header.
	CodecEndpoint string
	CodecAuth     string
	// Profile names the temporal.toml profile ("default" when unset);
	// ConfigFile is the temporal.toml file.
	Profile    string
	ConfigFile string
	// Identity is the client's identity, recorded by Temporal on what it
	// does (default: $TEMPORAL_IDENTITY, else the SDK's pid@host).
	Identity string
	// UI is the Web UI's base URL (LAZARUS_UI_ADDRESS, else http://localhost:8233).
	UI     string
	Logger *zap.Logger
	// MetricsHandler, when set, receives the SDK's metrics (the worker's
	// /metrics).
	MetricsHandler client.MetricsHandler
}

// ClientOptions resolves the client options: flags, then the environment,
// then the profile, then the defaults. Bad input (a missing file, an
// unknown profile, a file that does not parse) is a *ConfigError.
func (c Config) ClientOptions() (client.Options, error) {
	r, err := c.resolve()
	if err != nil {
		return client.Options{}, err
	}
	return r.options, nil
}

// Dial connects to Temporal. Bad configuration comes back as a
// *ConfigError; a server that cannot be reached as one line naming it.
func Dial(ctx context.Context, cfg Config) (client.Client, client.Options, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, client.Options{}, err
	}
	c, err := client.DialContext(ctx, r.options)
	if err != nil {
		return nil, r.options, dialError(r, err)
	}
	return c, r.options, nil
}

// dialError is the one line that says why Temporal could not be reached,
// and what to check.
func dialError(r resolved, err error) error {
	where := fmt.Sprintf("Temporal at %s (namespace %s", r.options.HostPort, r.options.Namespace)
	if r.profile != "" {
		where += ", profile " + r.profile
	}
	where += ")"
	msg := oneLine(err.Error())
	tlsOn := r.options.ConnectionOptions.TLS != nil
	closed := strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF")
	switch i := tlsCause(msg); {
	case i >= 0:
		return fmt.Errorf("connect to %s: TLS handshake failed: %s (check --tls-ca-path, --tls-server-name, --tls-cert-path/--tls-key-path or the profile's tls section)",
			where, strings.TrimRight(msg[i:], `"`))
	case tlsOn && closed:
		// Under TLS 1.3 a server that refuses the client's certificate
		// (or its absence) closes the connection; the client sees only that.
		return fmt.Errorf("connect to %s: the server closed the TLS connection (%s): does it require a client certificate? --tls-cert-path and --tls-key-path, or the profile's tls.client_cert_path and tls.client_key_path", where, msg)
	case !tlsOn && closed:
		return fmt.Errorf("connect to %s: %s (does the server want TLS? --tls, or --api-key)", where, msg)
	}
	return fmt.Errorf("connect to %s: %s (is the dev server up? `make up`)", where, msg)
}

// tlsCause is where the certificate or handshake error starts in msg, -1
// when msg is not about TLS.
func tlsCause(msg string) int {
	for _, p := range []string{"x509: ", "tls: ", "authentication handshake failed: "} {
		if i := strings.Index(msg, p); i >= 0 {
			return i
		}
	}
	return -1
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
