package tconn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"

	"github.com/lazarus-dr/lazarus/internal/tlsfront"
)

// noTemporalEnv unsets every TEMPORAL_* variable for the test (an empty
// variable still counts as set for envconfig).
func noTemporalEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEMPORAL_") {
			t.Setenv(k, "")
			_ = os.Unsetenv(k)
		}
	}
}

// parse declares the flags on a fresh flag set and parses args.
func parse(t *testing.T, args ...string) Config {
	t.Helper()
	var c Config
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	c.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return c
}

// writeTOML writes a temporal.toml into the test's directory.
func writeTOML(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "temporal.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlagsOverEnvOverProfileOverDefaults(t *testing.T) {
	noTemporalEnv(t)
	file := writeTOML(t, `
[profile.prod]
address = "profile.example:7233"
namespace = "prod-ns"
`)
	o, err := parse(t, "--config-file", file, "--profile", "prod").ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.HostPort != "profile.example:7233" || o.Namespace != "prod-ns" {
		t.Fatalf("profile: got %s %s", o.HostPort, o.Namespace)
	}
	t.Setenv("TEMPORAL_ADDRESS", "env.example:7233")
	if o, _ = parse(t, "--config-file", file, "--profile", "prod").ClientOptions(); o.HostPort != "env.example:7233" || o.Namespace != "prod-ns" {
		t.Fatalf("env over profile: got %s %s", o.HostPort, o.Namespace)
	}
	if o, _ = parse(t, "--config-file", file, "--profile", "prod", "--address", "flag.example:7233").ClientOptions(); o.HostPort != "flag.example:7233" {
		t.Fatalf("flag over env: got %s", o.HostPort)
	}
	t.Setenv("TEMPORAL_PROFILE", "prod")
	t.Setenv("TEMPORAL_CONFIG_FILE", file)
	if o, _ = parse(t).ClientOptions(); o.Namespace != "prod-ns" {
		t.Fatalf("TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE: got namespace %s", o.Namespace)
	}
	noTemporalEnv(t)
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	if o, _ = parse(t).ClientOptions(); o.HostPort != DefaultAddress || o.Namespace != DefaultNamespace {
		t.Fatalf("defaults: got %s %s", o.HostPort, o.Namespace)
	}
}

func TestProfileTLSAndFlags(t *testing.T) {
	noTemporalEnv(t)
	dir := t.TempDir()
	front, err := tlsfront.Start(tlsfront.Options{Backend: "127.0.0.1:1", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	file := writeTOML(t, `
[profile.tls]
address = "127.0.0.1:7233"
[profile.tls.tls]
server_ca_cert_path = "`+front.CAPath+`"
server_name = "`+front.ServerName+`"
client_cert_path = "`+front.CertPath+`"
client_key_path = "`+front.KeyPath+`"
`)
	o, err := parse(t, "--config-file", file, "--profile", "tls").ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	tc := o.ConnectionOptions.TLS
	if tc == nil || tc.ServerName != front.ServerName || tc.RootCAs == nil || len(tc.Certificates) != 1 {
		t.Fatalf("TLS from the profile not applied: %+v", tc)
	}
	if _, off := o.ConnectionOptions.GrpcCompression.(*client.GrpcCompressionNone); !off {
		t.Fatal("gzip must stay off over loopback, TLS or not")
	}
	if o, _ = parse(t, "--config-file", file, "--profile", "tls", "--tls=false").ClientOptions(); !o.ConnectionOptions.TLSDisabled {
		t.Fatal("--tls=false must turn the profile's TLS off")
	}
	o, err = parse(t, "--tls-ca-path", front.CAPath, "--tls-server-name", "x.test", "--tls-disable-host-verification").ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if tc = o.ConnectionOptions.TLS; tc == nil || tc.ServerName != "x.test" || !tc.InsecureSkipVerify {
		t.Fatalf("TLS flags not applied: %+v", tc)
	}
}

func TestAPIKeyTurnsTLSOn(t *testing.T) {
	noTemporalEnv(t)
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	o, err := parse(t, "--api-key", "k", "--address", "ns.acct.tmprl.cloud:7233").ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.Credentials == nil || o.ConnectionOptions.TLS == nil {
		t.Fatal("an API key must set credentials and turn TLS on")
	}
	if o, _ = parse(t, "--api-key", "k", "--tls=false").ClientOptions(); o.ConnectionOptions.TLS != nil {
		t.Fatal("--tls=false must win over the API key's TLS")
	}
	if o, _ = parse(t).ClientOptions(); o.ConnectionOptions.TLS != nil || o.Credentials != nil {
		t.Fatal("no TLS nor credentials by default")
	}
}

func TestCodecEndpoint(t *testing.T) {
	noTemporalEnv(t)
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	o, err := parse(t, "--codec-endpoint", "http://127.0.0.1:8081", "--codec-auth", "Bearer x").ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.DataConverter == nil {
		t.Fatal("--codec-endpoint must set the remote data converter")
	}
	// Without an endpoint, the client compresses (internal/codec) and
	// calls nothing remote.
	o, _ = parse(t, "--codec-auth", "Bearer x").ClientOptions()
	if o.DataConverter == nil {
		t.Fatal("no codec endpoint: want the compressing data converter, got the SDK's default")
	}
	p, err := o.DataConverter.ToPayload(strings.Repeat("site-id ", 1000))
	if err != nil {
		t.Fatal(err)
	}
	if enc := string(p.GetMetadata()["encoding"]); enc != "binary/zlib" {
		t.Fatalf("a large payload is encoded %q, want binary/zlib", enc)
	}
}

func TestIdentity(t *testing.T) {
	noTemporalEnv(t)
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	t.Setenv("TEMPORAL_IDENTITY", "env-id")
	if o, _ := parse(t).ClientOptions(); o.Identity != "env-id" {
		t.Fatalf("identity %q, want env-id", o.Identity)
	}
	if o, _ := parse(t, "--identity", "alice@dr").ClientOptions(); o.Identity != "alice@dr" {
		t.Fatalf("identity %q, want alice@dr", o.Identity)
	}
}

func TestBadInputIsOneLineNamingIt(t *testing.T) {
	noTemporalEnv(t)
	dir := t.TempDir()
	good := writeTOML(t, "[profile.a]\naddress = \"x:1\"\n[profile.b]\naddress = \"y:1\"\n")
	bad := writeTOML(t, "[profile.a\naddress = \n")
	missingCert := writeTOML(t, "[profile.p.tls]\nclient_cert_path = \""+dir+"/nope.pem\"\nclient_key_path = \""+dir+"/nope-key.pem\"\n")
	for _, c := range []struct {
		args []string
		env  map[string]string
		want []string
	}{
		{args: []string{"--config-file", good, "--profile", "nope"}, want: []string{`profile "nope" (--profile) is not in ` + good + ": its profiles: a, b"}},
		{env: map[string]string{"TEMPORAL_CONFIG_FILE": good, "TEMPORAL_PROFILE": "nope"}, want: []string{`profile "nope" ($TEMPORAL_PROFILE) is not in`}},
		{args: []string{"--config-file", dir + "/absent.toml"}, want: []string{"--config-file " + dir + "/absent.toml: no such file"}},
		{args: []string{"--config-file", bad}, want: []string{"Temporal config file " + bad + " does not parse"}},
		{args: []string{"--tls-cert-path", dir + "/c.pem", "--tls-key-path", dir + "/k.pem"}, want: []string{"TLS client certificate " + dir + "/c.pem (--tls-cert-path): no such file"}},
		{env: map[string]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": dir + "/ca.pem"}, want: []string{"($TEMPORAL_TLS_SERVER_CA_CERT_PATH): no such file"}},
		{args: []string{"--config-file", missingCert, "--profile", "p"}, want: []string{`(tls.client_cert_path of profile "p" in ` + missingCert + `): no such file`}},
		{args: []string{"--tls-ca-path", good}, want: []string{"Temporal connection settings", "CA"}},
		{args: []string{"--codec-endpoint", "localhost:8081"}, want: []string{`codec endpoint "localhost:8081" (--codec-endpoint): not an http:// or https:// URL`}},
	} {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		_, err := parse(t, c.args...).ClientOptions()
		for k := range c.env {
			_ = os.Unsetenv(k)
		}
		if err == nil {
			t.Errorf("%v %v: no error", c.args, c.env)
			continue
		}
		t.Logf("%v %v: %v", c.args, c.env, err)
		if !IsConfigError(err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v %v: want a one-line ConfigError, got %T %q", c.args, c.env, err, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v %v: error %q lacks %q", c.args, c.env, err, w)
			}
		}
	}
}
