//go:build integration

package tconn

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/clitest"
	"github.com/lazarus-dr/lazarus/internal/devserver"
	"github.com/lazarus-dr/lazarus/internal/tlsfront"
	"github.com/lazarus-dr/lazarus/workflows"
)

// TestProfileOverTLS connects through a temporal.toml profile to a dev
// server over TLS with a client certificate (mTLS).
//
// The TLS is real, but it is not the dev server's: `temporal server
// start-dev` has no TLS option, so internal/tlsfront terminates TLS in front
// of it (its own CA, a server certificate for a name only, a client
// certificate it requires) and forwards the decrypted gRPC bytes to the dev
// server's plain port.
func TestProfileOverTLS(t *testing.T) {
	noTemporalEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dir := t.TempDir()
	front, err := tlsfront.Start(tlsfront.Options{Backend: srv.FrontendHostPort(), Dir: dir, RequireClientCert: true})
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()
	// Three profiles: everything; no CA (the system's roots do not know
	// the test's CA); no client certificate (the front requires one).
	file := filepath.Join(dir, "temporal.toml")
	toml := fmt.Sprintf(`
[profile.tls]
address = %[1]q
namespace = "default"
[profile.tls.tls]
server_ca_cert_path = %[2]q
client_cert_path = %[3]q
client_key_path = %[4]q
server_name = %[5]q

[profile.noca]
address = %[1]q
[profile.noca.tls]
client_cert_path = %[3]q
client_key_path = %[4]q
server_name = %[5]q

[profile.nocert]
address = %[1]q
[profile.nocert.tls]
server_ca_cert_path = %[2]q
server_name = %[5]q
`, front.Addr, front.CAPath, front.CertPath, front.KeyPath, front.ServerName)
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}

	// (a) The profile connects: health, namespace, and a workflow started
	// and described through the TLS front.
	began := time.Now()
	c, opts, err := Dial(ctx, Config{Profile: "tls", ConfigFile: file, Identity: "tls-test", Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("dial with the tls profile: %v", err)
	}
	defer c.Close()
	if opts.HostPort != front.Addr || opts.ConnectionOptions.TLS == nil {
		t.Fatalf("options: %s, TLS %v", opts.HostPort, opts.ConnectionOptions.TLS)
	}
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		t.Fatalf("health over TLS: %v", err)
	}
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil || ns.GetNamespaceInfo().GetName() != "default" {
		t.Fatalf("describe namespace over TLS: %v", err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "tconn-tls-probe", TaskQueue: "tconn-tls-probe"}, "NoSuchWorkflow")
	if err != nil {
		t.Fatalf("start a workflow over TLS: %v", err)
	}
	d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil || d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("describe the workflow over TLS: %v %v", d.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	if err := c.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "test over"); err != nil {
		t.Fatal(err)
	}
	if front.Handshakes() < 1 {
		t.Fatal("no TLS handshake at the front: the client did not come through TLS")
	}
	t.Logf("(a) profile tls: dial, health, namespace, workflow start/describe/terminate in %s; %d TLS handshakes", time.Since(began).Round(time.Millisecond), front.Handshakes())

	// (b) Without the CA, or without the client certificate, it fails:
	// one line that says TLS and why.
	// Without a client certificate, the client reads the server's alert
	// or finds the connection closed, whichever comes first.
	for profile, wants := range map[string][]string{
		"noca":   {"TLS handshake failed: x509: certificate signed by unknown authority"},
		"nocert": {"TLS handshake failed: tls: certificate required", "the server closed the TLS connection"},
	} {
		began := time.Now()
		dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
		_, _, err := Dial(dctx, Config{Profile: profile, ConfigFile: file, Logger: zap.NewNop()})
		dcancel()
		if err == nil {
			t.Fatalf("profile %s connected", profile)
		}
		msg := err.Error()
		said := false
		for _, w := range wants {
			said = said || strings.Contains(msg, w)
		}
		if strings.Contains(msg, "\n") || !said || !strings.Contains(msg, "profile "+profile) || !strings.Contains(msg, "--tls-cert-path") {
			t.Errorf("profile %s: want one line with one of %q, got %q", profile, wants, msg)
		}
		t.Logf("(b) profile %s refused in %s: %s", profile, time.Since(began).Round(time.Millisecond), msg)
	}

	// (c) The lazarus binary connects with the profile, by flags and by
	// environment.
	bin := filepath.Join(t.TempDir(), "lazarus")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./starter")
	build.Dir = "../.." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./starter: %v\n%s", err, out)
	}
	if out, code := clitest.Run(t, ctx, bin, nil, "batch", "list", "--profile", "tls", "--config-file", file); code != 0 {
		t.Fatalf("lazarus batch list --profile tls: exit %d\n%s", code, out)
	}
	if out, code := clitest.Run(t, ctx, bin, []string{"TEMPORAL_PROFILE=tls", "TEMPORAL_CONFIG_FILE=" + file}, "batch", "list"); code != 0 {
		t.Fatalf("lazarus batch list with TEMPORAL_PROFILE: exit %d\n%s", code, out)
	}
	out, code := clitest.Run(t, ctx, bin, nil, "batch", "list", "--profile", "noca", "--config-file", file)
	if code == 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "TLS handshake failed") {
		t.Fatalf("lazarus batch list --profile noca: exit %d, want one line saying the TLS handshake failed:\n%s", code, out)
	}
	if out, code := clitest.Run(t, ctx, bin, nil, "batch", "list", "--profile", "tls", "--config-file", file, "--tls-cert-path", dir+"/nope.pem"); code != 2 {
		t.Fatalf("a client certificate that is not there: exit %d, want 2\n%s", code, out)
	}

	// (d) The worker connects with the profile too (`lazarus worker`, the
	// same flags as lazarus-worker), and polls under its --identity.
	platform := filepath.Join(dir, "platform.yaml")
	if err := os.WriteFile(platform, []byte("name: t\nretention: 720h\nservices:\n  catalog: http://127.0.0.1:1\n  vendors: http://127.0.0.1:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	w := exec.CommandContext(wctx, bin, "worker", "--platform", platform, "--profile", "tls", "--config-file", file, "--identity", "worker-over-tls", "--log-level", "warn")
	var wout strings.Builder
	w.Stdout, w.Stderr = &wout, &wout
	w.Env = os.Environ()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stop(); _ = w.Wait() }()
	polled := false
	for i := 0; i < 60 && !polled; i++ {
		resp, err := c.DescribeTaskQueue(ctx, workflows.WorkflowTaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		for _, p := range resp.GetPollers() {
			polled = polled || (err == nil && p.GetIdentity() == "worker-over-tls")
		}
		time.Sleep(250 * time.Millisecond)
	}
	if !polled {
		t.Fatalf("no poller with identity worker-over-tls on %s; worker output:\n%s", workflows.WorkflowTaskQueue, wout.String())
	}
	t.Logf("(d) lazarus worker --profile tls polls %s as worker-over-tls", workflows.WorkflowTaskQueue)
}
