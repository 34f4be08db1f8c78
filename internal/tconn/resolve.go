package tconn

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/lazarus-dr/lazarus/internal/codec"
	"github.com/lazarus-dr/lazarus/logging"
)

// Environment variables this package reads itself (envconfig reads the
// other TEMPORAL_* ones).
const (
	identityEnv   = "$TEMPORAL_IDENTITY"
	configFileEnv = "TEMPORAL_CONFIG_FILE"
	profileEnv    = "TEMPORAL_PROFILE"
)

// ConfigError is bad connection input: a file that does not exist or does
// not parse, an unknown profile, a bad URL. Its message is one line that
// names the input. The CLI exits 2 on it.
type ConfigError struct{ msg string }

func (e *ConfigError) Error() string { return e.msg }

// IsConfigError says whether err is (or wraps) a *ConfigError.
func IsConfigError(err error) bool {
	var ce *ConfigError
	return errors.As(err, &ce)
}

func configErrorf(format string, args ...any) error {
	return &ConfigError{msg: oneLine(fmt.Sprintf(format, args...))}
}

// Identity is the client identity: flag, else $TEMPORAL_IDENTITY, else ""
// (the SDK's pid@host).
func Identity(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(strings.TrimPrefix(identityEnv, "$"))
}

// resolved is the outcome of resolve: the client options, and the
// profile's name when one was read from a file (for messages).
type resolved struct {
	options client.Options
	profile string
}

// resolve layers the profile, the environment and the flags, checks the
// files they name, and makes the client options.
func (c Config) resolve() (resolved, error) {
	file, explicitFile := c.configFile()
	conf, err := readConfigFile(file, explicitFile)
	if err != nil {
		return resolved{}, err
	}
	name, nameOrigin := c.profileName()
	prof := envconfig.ClientConfigProfile{}
	if p := conf.Profiles[name]; p != nil {
		prof = *p
	} else if nameOrigin != "" {
		return resolved{}, configErrorf("profile %q (%s) is not in %s: %s", name, nameOrigin, file, profileList(conf, file))
	}
	src := sources{cfg: c, profile: fmt.Sprintf("profile %q in %s", name, file)}
	if err := prof.ApplyEnvVars(nil); err != nil {
		return resolved{}, configErrorf("Temporal environment variables: %v", err)
	}
	c.applyFlags(&prof)
	if prof.Address == "" {
		prof.Address = DefaultAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultNamespace
	}
	if err := checkFiles(prof.TLS, src); err != nil {
		return resolved{}, err
	}
	if err := checkCodec(&prof, src); err != nil {
		return resolved{}, err
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return resolved{}, configErrorf("Temporal connection settings (flags, TEMPORAL_* or %s): %v", src.profile, err)
	}
	// Lazarus's payloads are compressed (internal/codec), then, with
	// --codec-endpoint, passed through that remote codec too.
	var codecEndpoint, codecAuth string
	if prof.Codec != nil {
		codecEndpoint, codecAuth = prof.Codec.Endpoint, prof.Codec.Auth
	}
	opts.DataConverter = codec.ForClient(codecEndpoint, codecAuth, prof.Namespace)
	opts.Identity = Identity(c.Identity)
	opts.MetricsHandler = c.MetricsHandler
	if c.Logger != nil {
		opts.Logger = logging.NewTemporalLogger(c.Logger)
	}
	if opts.ConnectionOptions.GrpcCompression == nil && loopback(opts.HostPort) {
		// gzip buys nothing over loopback and costs CPU on both ends of
		// every call: 9% of the worker's CPU in the demo's profile, and as
		// much again in the server that inflates and deflates.
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	r := resolved{options: opts}
	if conf.Profiles[name] != nil {
		r.profile = name
	}
	return r, nil
}

// configFile is the temporal.toml path: --config-file (explicit), else
// $TEMPORAL_CONFIG_FILE, else envconfig's default path. Only the flag must
// name a file that exists, as with the temporal CLI's environment a missing
// file is no profile.
func (c Config) configFile() (string, bool) {
	if c.ConfigFile != "" {
		return c.ConfigFile, true
	}
	if f := os.Getenv(configFileEnv); f != "" {
		return f, false
	}
	return envconfig.DefaultConfigFilePath(), false
}

// profileName is --profile, else $TEMPORAL_PROFILE, else "default", and
// which of the first two named it ("" for the default): a profile named
// must exist.
func (c Config) profileName() (name, origin string) {
	if c.Profile != "" {
		return c.Profile, "--profile"
	}
	if p := os.Getenv(profileEnv); p != "" {
		return p, "$" + profileEnv
	}
	return envconfig.DefaultConfigFileProfile, ""
}

// readConfigFile reads and parses the temporal.toml file; a file that is
// not there is no profile, unless --config-file named it.
func readConfigFile(path string, explicit bool) (envconfig.ClientConfig, error) {
	var conf envconfig.ClientConfig
	if path == "" {
		return conf, nil
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && explicit:
		return conf, configErrorf("--config-file %s: no such file", path)
	case errors.Is(err, os.ErrNotExist):
		return conf, nil
	case err != nil:
		return conf, configErrorf("Temporal config file %s: %v", path, err)
	}
	if err := conf.FromTOML(data, envconfig.ClientConfigFromTOMLOptions{}); err != nil {
		return conf, configErrorf("Temporal config file %s does not parse: %v", path, err)
	}
	return conf, nil
}

// profileList names a file's profiles for a message.
func profileList(conf envconfig.ClientConfig, file string) string {
	if _, err := os.Stat(file); err != nil {
		return "the file does not exist (--config-file or $" + configFileEnv + " names it)"
	}
	if len(conf.Profiles) == 0 {
		return "it has no profiles"
	}
	names := make([]string, 0, len(conf.Profiles))
	for n := range conf.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return "its profiles: " + strings.Join(names, ", ")
}

// applyFlags lays the flags that were given over the profile and the
// environment. A path given by flag replaces the PEM data a profile or
// the environment may hold for the same thing.
func (c Config) applyFlags(p *envconfig.ClientConfigProfile) {
	if c.Address != "" {
		p.Address = c.Address
	}
	if c.Namespace != "" {
		p.Namespace = c.Namespace
	}
	if c.APIKey != "" {
		p.APIKey = c.APIKey
	}
	tls := func() *envconfig.ClientConfigTLS {
		if p.TLS == nil {
			p.TLS = &envconfig.ClientConfigTLS{}
		}
		return p.TLS
	}
	if c.TLS.Given {
		tls().Disabled = !c.TLS.Value
	}
	if c.TLSCertPath != "" {
		tls().ClientCertPath, tls().ClientCertData = c.TLSCertPath, nil
	}
	if c.TLSKeyPath != "" {
		tls().ClientKeyPath, tls().ClientKeyData = c.TLSKeyPath, nil
	}
	if c.TLSCAPath != "" {
		tls().ServerCACertPath, tls().ServerCACertData = c.TLSCAPath, nil
	}
	if c.TLSServerName != "" {
		tls().ServerName = c.TLSServerName
	}
	if c.TLSDisableHostVerification {
		tls().DisableHostVerification = true
	}
	if c.CodecEndpoint != "" || c.CodecAuth != "" {
		if p.Codec == nil {
			p.Codec = &envconfig.ClientConfigCodec{}
		}
		if c.CodecEndpoint != "" {
			p.Codec.Endpoint = c.CodecEndpoint
		}
		if c.CodecAuth != "" {
			p.Codec.Auth = c.CodecAuth
		}
	}
}

// sources names where a setting came from, for messages.
type sources struct {
	cfg     Config
	profile string
}

// of names the origin of a setting: its flag when given, else its
// environment variable when set, else the profile.
func (s sources) of(flagValue, flag, env, tomlKey string) string {
	if flagValue != "" {
		return flag
	}
	if _, ok := os.LookupEnv(env); ok {
		return "$" + env
	}
	return tomlKey + " of " + s.profile
}

// checkFiles checks that the TLS files named exist, so that a wrong path is
// one line naming the setting, not a TLS error.
func checkFiles(t *envconfig.ClientConfigTLS, s sources) error {
	if t == nil || t.Disabled {
		return nil
	}
	for _, f := range []struct{ what, path, origin string }{
		{"TLS client certificate", t.ClientCertPath, s.of(s.cfg.TLSCertPath, "--tls-cert-path", "TEMPORAL_TLS_CLIENT_CERT_PATH", "tls.client_cert_path")},
		{"TLS client key", t.ClientKeyPath, s.of(s.cfg.TLSKeyPath, "--tls-key-path", "TEMPORAL_TLS_CLIENT_KEY_PATH", "tls.client_key_path")},
		{"TLS server CA certificate", t.ServerCACertPath, s.of(s.cfg.TLSCAPath, "--tls-ca-path", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "tls.server_ca_cert_path")},
	} {
		if f.path == "" {
			continue
		}
		st, err := os.Stat(f.path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return configErrorf("%s %s (%s): no such file", f.what, f.path, f.origin)
		case err != nil:
			return configErrorf("%s %s (%s): %v", f.what, f.path, f.origin, err)
		case st.IsDir():
			return configErrorf("%s %s (%s): is a directory, not a PEM file", f.what, f.path, f.origin)
		}
	}
	return nil
}

// checkCodec drops a codec section without an endpoint (an Authorization
// alone encodes nothing) and checks that the endpoint is an HTTP(S) URL.
func checkCodec(p *envconfig.ClientConfigProfile, s sources) error {
	if p.Codec == nil {
		return nil
	}
	if p.Codec.Endpoint == "" {
		p.Codec = nil
		return nil
	}
	u, err := url.Parse(p.Codec.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErrorf("codec endpoint %q (%s): not an http:// or https:// URL", p.Codec.Endpoint,
			s.of(s.cfg.CodecEndpoint, "--codec-endpoint", "TEMPORAL_CODEC_ENDPOINT", "codec.endpoint"))
	}
	return nil
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s))
}
