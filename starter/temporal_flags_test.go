package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestValidBatchID(t *testing.T) {
	for _, ok := range []string{"incident-42", "demo_1.2", "20221105-073800-a1b2c3"} {
		if !validBatchID(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "a b", "x/y", strings.Repeat("a", 101)} {
		if validBatchID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBar(t *testing.T) {
	if got := bar(1, 4); strings.Count(got, "█") != 10 || strings.Count(got, "·") != 30 {
		t.Fatalf("bar %q", got)
	}
	if got := bar(9, 4); strings.Count(got, "█") != 40 {
		t.Fatalf("overfull bar %q", got)
	}
	if got := bar(0, 0); strings.Count(got, "█") != 0 {
		t.Fatalf("empty bar %q", got)
	}
}

// TestConnectionFlagsInHelp: every command that talks to Temporal lists
// the temporal CLI's connection flags, TLS, API key and profile included.
func TestConnectionFlagsInHelp(t *testing.T) {
	for _, args := range [][]string{{"restore", "start", "--help"}, {"batch", "list", "--help"}, {"worker", "--help"}} {
		r := lazarus(t).Run(t, context.Background(), args...)
		if r.Code != 0 {
			t.Fatalf("%v: exit %d", args, r.Code)
		}
		for _, flag := range []string{"--address", "--namespace", "--api-key", "--tls ", "--tls-cert-path", "--tls-key-path",
			"--tls-ca-path", "--tls-server-name", "--tls-disable-host-verification", "--codec-endpoint", "--codec-auth",
			"--profile", "--config-file", "--identity", "TEMPORAL_API_KEY", "TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_PROFILE"} {
			if !strings.Contains(r.Stdout, flag) {
				t.Errorf("%v: help lacks %s", args, flag)
			}
		}
	}
}

// TestBadConnectionInputExits2: a TLS file that is not there is one line
// naming the flag, and exit 2, before any dial.
func TestBadConnectionInputExits2(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"batch", "list", "--tls-ca-path", "/nonexistent/ca.pem"}, "TLS server CA certificate /nonexistent/ca.pem (--tls-ca-path): no such file"},
		{[]string{"batch", "list", "--profile", "nope"}, `profile "nope" (--profile) is not in`},
		{[]string{"site", "status", "s1", "--tls-cert-path", "/nonexistent/c.pem", "--tls-key-path", "/nonexistent/k.pem"}, "(--tls-cert-path): no such file"},
	} {
		r := lazarus(t).Run(t, context.Background(), c.args...)
		if r.Code != 2 || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q: want exit 2 and one line with %q", c.args, r.Code, r.Stderr, c.want)
		}
	}
}

// TestOperatorDefaultsToIdentity: --operator defaults to $LAZARUS_OPERATOR,
// then --identity (or $TEMPORAL_IDENTITY), then $USER; --operator wins.
func TestOperatorDefaultsToIdentity(t *testing.T) {
	run := func(args ...string) string {
		t.Helper()
		var tf temporalFlags
		root := &cobra.Command{Use: "lazarus"}
		tf.add(root)
		var got string
		cmd := &cobra.Command{Use: "pause", RunE: func(*cobra.Command, []string) error { return nil }}
		of := addOperatorFlags(cmd)
		cmd.RunE = func(*cobra.Command, []string) error {
			op, err := of.get()
			got = op.Operator
			return err
		}
		root.AddCommand(cmd)
		root.SetArgs(append([]string{"pause"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return got
	}
	t.Setenv("LAZARUS_OPERATOR", "")
	t.Setenv("TEMPORAL_IDENTITY", "")
	t.Setenv("USER", "unixuser")
	if got := run(); got != "unixuser" {
		t.Errorf("no identity: operator %q, want $USER", got)
	}
	if got := run("--identity", "alice@dr"); got != "alice@dr" {
		t.Errorf("--identity: operator %q, want alice@dr", got)
	}
	if got := run("--identity", "alice@dr", "--operator", "bob"); got != "bob" {
		t.Errorf("--operator must win: %q", got)
	}
	t.Setenv("TEMPORAL_IDENTITY", "env-id")
	if got := run(); got != "env-id" {
		t.Errorf("$TEMPORAL_IDENTITY: operator %q", got)
	}
	t.Setenv("LAZARUS_OPERATOR", "lead")
	if got := run("--identity", "alice@dr"); got != "lead" {
		t.Errorf("$LAZARUS_OPERATOR must win over the identity: %q", got)
	}
}
