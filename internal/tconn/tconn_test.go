package tconn

import (
	"testing"

	"go.temporal.io/sdk/client"
)

func TestClientOptionsFromEnv(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", t.TempDir()+"/none.toml")
	t.Setenv("TEMPORAL_ADDRESS", "10.0.0.1:7233")
	t.Setenv("TEMPORAL_NAMESPACE", "dr")
	o, err := Config{}.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.HostPort != "10.0.0.1:7233" || o.Namespace != "dr" {
		t.Fatalf("got %s %s", o.HostPort, o.Namespace)
	}
	o, err = Config{Address: "127.0.0.1:1", Namespace: "x"}.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.HostPort != "127.0.0.1:1" || o.Namespace != "x" {
		t.Fatalf("flags must win: %s %s", o.HostPort, o.Namespace)
	}
}

func TestClientOptionsDefaults(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", t.TempDir()+"/none.toml")
	t.Setenv("TEMPORAL_ADDRESS", "")
	t.Setenv("TEMPORAL_NAMESPACE", "")
	o, err := Config{}.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.HostPort != DefaultAddress || o.Namespace != DefaultNamespace {
		t.Fatalf("got %s %s", o.HostPort, o.Namespace)
	}
}

func TestLinks(t *testing.T) {
	t.Setenv("LAZARUS_UI_ADDRESS", "")
	if got := WorkflowURL("", "default", "lazarus-batch-b1"); got != "http://localhost:8233/namespaces/default/workflows/lazarus-batch-b1" {
		t.Fatal(got)
	}
	t.Setenv("LAZARUS_UI_ADDRESS", "https://ui.example/")
	if got := ListURL("", "default", `LazarusBatchID="b1"`); got != "https://ui.example/namespaces/default/workflows?query=LazarusBatchID%3D%22b1%22" {
		t.Fatal(got)
	}
}

func TestCompressionOffOnlyOverLoopback(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", t.TempDir()+"/none.toml")
	for addr, none := range map[string]bool{
		"127.0.0.1:7233": true, "localhost:7233": true, "[::1]:7233": true,
		"temporal.example.com:7233": false, "10.0.0.5:7233": false,
	} {
		opts, err := Config{Address: addr}.ClientOptions()
		if err != nil {
			t.Fatal(err)
		}
		_, isNone := opts.ConnectionOptions.GrpcCompression.(*client.GrpcCompressionNone)
		if isNone != none {
			t.Errorf("%s: compression off = %v, want %v", addr, isNone, none)
		}
	}
}
