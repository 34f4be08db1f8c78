package worker

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestWorkerConnectionFlags: lazarus-worker's flag set (the one
// `lazarus-worker --help` prints) has the temporal CLI's connection flags,
// and keeps --config for its own YAML next to --config-file for
// temporal.toml.
func TestWorkerConnectionFlags(t *testing.T) {
	var f Flags
	fs := pflag.NewFlagSet("lazarus-worker", pflag.ContinueOnError)
	f.AddFlags(fs)
	usage := fs.FlagUsages()
	for _, flag := range []string{"--address", "--namespace", "--api-key", "--tls ", "--tls-cert-path", "--tls-key-path",
		"--tls-ca-path", "--tls-server-name", "--codec-endpoint", "--profile", "--config-file", "--identity",
		"--config ", "--metrics-address"} {
		if !strings.Contains(usage, flag) {
			t.Errorf("lazarus-worker --help lacks %s:\n%s", flag, usage)
		}
	}
	if err := fs.Parse([]string{"--tls", "--api-key", "k", "--profile", "cloud", "--config-file", "/x.toml", "--identity", "w1"}); err != nil {
		t.Fatal(err)
	}
	if c := f.Temporal; !c.TLS.Given || !c.TLS.Value || c.APIKey != "k" || c.Profile != "cloud" || c.ConfigFile != "/x.toml" || c.Identity != "w1" {
		t.Fatalf("flags not bound: %+v", c)
	}
}

// TestWorkerBadConnectionInput: Options refuses a TLS file that is not
// there (lazarus-worker exits 2 on it).
func TestWorkerBadConnectionInput(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", t.TempDir()+"/none.toml")
	var f Flags
	fs := pflag.NewFlagSet("lazarus-worker", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse([]string{"--platform", "p.yaml", "--tls-ca-path", "/nonexistent/ca.pem"}); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.Options()
	if err == nil || !strings.Contains(err.Error(), "--tls-ca-path") {
		t.Fatalf("want an error naming --tls-ca-path, got %v", err)
	}
}
