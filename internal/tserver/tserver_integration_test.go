//go:build realserver

// This test needs temporal-server and temporal-sql-tool, which take about
// 11 minutes to build (make tools-server), so it is not in make test: make
// chaos runs it first (tag realserver), before any scenario uses the server.

package tserver_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/internal/tserver"
	"github.com/lazarus-dr/lazarus/workflows"
)

const taskQueue = "tserver-test"

// greetWorkflow tags itself with a Lazarus search attribute and runs one
// activity.
func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	key := temporal.NewSearchAttributeKeyKeyword(workflows.SearchAttrBatchID)
	if err := workflow.UpsertTypedSearchAttributes(ctx, key.ValueSet("tserver-batch")); err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, greet, name).Get(ctx, &out)
	return out, err
}

func greet(_ context.Context, name string) (string, error) { return "hello " + name, nil }

// TestRealServerOnPostgres starts the server on 127.0.0.2 (a bind address
// that is not the default), runs a workflow end to end, finds it in
// PostgreSQL, then stops everything and starts again on the same folder
// the way the chaos driver does (Prepare, Command, Bootstrap): the schema
// is kept and the workflow is still there.
func TestRealServerOnPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := testpg.Dir(t, "tserver-")

	t0 := time.Now()
	srv, err := tserver.Start(ctx, tserver.Options{Dir: dir, BindIP: "127.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	t.Logf("cold start %s: pg %s, schema %s, server healthy %s, namespace + search attributes %s",
		time.Since(t0).Round(time.Millisecond), srv.Timings.PG.Round(time.Millisecond), srv.Timings.Schema.Round(time.Millisecond),
		srv.Timings.Server.Round(time.Millisecond), srv.Timings.Setup.Round(time.Millisecond))
	if !strings.HasPrefix(srv.Address, "127.0.0.2:") {
		t.Fatalf("address %s, want 127.0.0.2:port", srv.Address)
	}
	_, port, _ := net.SplitHostPort(srv.Address)
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		c.Close()
		t.Fatalf("the frontend answers on 127.0.0.1:%s too: bindOnIP not honoured", port)
	}

	c, err := client.Dial(client.Options{HostPort: srv.Address, Namespace: srv.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Config.WorkflowExecutionRetentionTtl.AsDuration(); got != 30*24*time.Hour {
		t.Errorf("retention %s, want 720h", got)
	}

	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterActivity(greet)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	t1 := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "tserver-greet", TaskQueue: taskQueue}, greetWorkflow, "lazarus")
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil || out != "hello lazarus" {
		t.Fatalf("workflow: %q, %v", out, err)
	}
	t.Logf("workflow end to end %s", time.Since(t1).Round(time.Millisecond))

	// The data live in PostgreSQL: the execution in temporal, the
	// completed record (with its search attribute) in temporal_visibility.
	db, err := srv.PG.Open(ctx, tserver.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM executions WHERE workflow_id = $1`, "tserver-greet").Scan(&n); err != nil || n != 1 {
		t.Fatalf("executions rows for tserver-greet: %d, %v", n, err)
	}
	vis, err := srv.PG.Open(ctx, tserver.VisibilityDB)
	if err != nil {
		t.Fatal(err)
	}
	defer vis.Close(context.Background())
	poll(t, ctx, func() bool {
		err := vis.QueryRow(ctx, `SELECT count(*) FROM executions_visibility WHERE workflow_id = $1 AND status = $2
			AND search_attributes::text LIKE '%tserver-batch%'`, "tserver-greet", int(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)).Scan(&n)
		return err == nil && n == 1
	})
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: workflows.SearchAttrBatchID + ` = "tserver-batch"`})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("list by %s: %v, %v", workflows.SearchAttrBatchID, list, err)
	}
	w.Stop()
	c.Close()

	// Again on the same folder, the chaos driver's way.
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	t2 := time.Now()
	srv2, err := tserver.Prepare(ctx, tserver.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv2.Stop(context.Background()) })
	if srv2.Timings.Schema != 0 {
		t.Errorf("the schema was set up again on a folder that had it")
	}
	bin, args := srv2.Command()
	logf, err := os.Create(filepath.Join(dir, "second.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := srv2.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("warm start on the same folder %s (server healthy %s)", time.Since(t2).Round(time.Millisecond), srv2.Timings.Server.Round(time.Millisecond))
	c2, err := client.Dial(client.Options{HostPort: srv2.Address, Namespace: srv2.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	desc, err := c2.DescribeWorkflowExecution(ctx, "tserver-greet", "")
	if err != nil || desc.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("after the restart: %v, %v", desc, err)
	}
}

// TestStartFailsClearlyWithoutBinary: a missing server is one clear line.
func TestStartFailsClearlyWithoutBinary(t *testing.T) {
	t.Setenv("LAZARUS_TEMPORAL_SERVER_BIN", "/nonexistent/temporal-server")
	_, err := tserver.Start(context.Background(), tserver.Options{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "LAZARUS_TEMPORAL_SERVER_BIN") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line naming LAZARUS_TEMPORAL_SERVER_BIN, got %v", err)
	}
}

func poll(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatal("condition not met in 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
