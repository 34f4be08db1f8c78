package tconn

import (
	"strconv"

	"github.com/spf13/pflag"
)

// AddFlags declares the connection flags on fs, with the temporal CLI's
// names; each help line names the environment variable it overrides.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Address, "address", "", "Temporal frontend host:port ($TEMPORAL_ADDRESS, else the profile, else "+DefaultAddress+")")
	fs.StringVar(&c.Namespace, "namespace", "", "Temporal namespace ($TEMPORAL_NAMESPACE, else the profile, else "+DefaultNamespace+")")
	fs.StringVar(&c.APIKey, "api-key", "", "API key, e.g. for Temporal Cloud; turns TLS on ($TEMPORAL_API_KEY)")
	fs.Var(&c.TLS, "tls", "connect with TLS; --tls=false forces it off ($TEMPORAL_TLS; on by default with an API key or any --tls-* flag)")
	fs.Lookup("tls").NoOptDefVal = "true"
	fs.StringVar(&c.TLSCertPath, "tls-cert-path", "", "client certificate (PEM) for mTLS ($TEMPORAL_TLS_CLIENT_CERT_PATH)")
	fs.StringVar(&c.TLSKeyPath, "tls-key-path", "", "client certificate's private key (PEM) for mTLS ($TEMPORAL_TLS_CLIENT_KEY_PATH)")
	fs.StringVar(&c.TLSCAPath, "tls-ca-path", "", "CA certificate (PEM) that signed the server's certificate ($TEMPORAL_TLS_SERVER_CA_CERT_PATH; default: the system's)")
	fs.StringVar(&c.TLSServerName, "tls-server-name", "", "server name to verify the server's certificate against ($TEMPORAL_TLS_SERVER_NAME)")
	fs.BoolVar(&c.TLSDisableHostVerification, "tls-disable-host-verification", false, "do not verify the server's certificate (testing only) ($TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)")
	fs.StringVar(&c.CodecEndpoint, "codec-endpoint", "", "remote payload codec's URL: this client's payloads are encoded and decoded there ($TEMPORAL_CODEC_ENDPOINT)")
	fs.StringVar(&c.CodecAuth, "codec-auth", "", "Authorization header for the codec endpoint ($TEMPORAL_CODEC_AUTH)")
	fs.StringVar(&c.Profile, "profile", "", "profile of the temporal.toml file ($TEMPORAL_PROFILE, else default)")
	fs.StringVar(&c.ConfigFile, "config-file", "", "temporal.toml file of profiles ($TEMPORAL_CONFIG_FILE, else "+defaultConfigFileHelp+")")
	fs.StringVar(&c.Identity, "identity", "", "client identity Temporal records ("+identityEnv+", else pid@host)")
}

// defaultConfigFileHelp is where envconfig looks for temporal.toml.
const defaultConfigFileHelp = "$XDG_CONFIG_HOME/temporalio/temporal.toml (~/.config/temporalio/temporal.toml)"

// OptionalBool is a boolean flag that can also be left unset: --tls,
// --tls=true, --tls=false, or nothing.
type OptionalBool struct {
	// Given is true when the flag was set; Value is then its value.
	Given bool
	Value bool
}

// Set parses a flag value.
func (b *OptionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.Given, b.Value = true, v
	return nil
}

// String is the value as the flag shows it ("" when unset).
func (b *OptionalBool) String() string {
	if !b.Given {
		return ""
	}
	return strconv.FormatBool(b.Value)
}

// Type is "bool": help shows the flag without an argument.
func (b *OptionalBool) Type() string { return "bool" }

// IsBoolFlag lets the flag stand without a value.
func (b *OptionalBool) IsBoolFlag() bool { return true }
