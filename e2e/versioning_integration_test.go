//go:build integration

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/tconn"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/worker"
	"github.com/lazarus-dr/lazarus/workflows"
)

const (
	deploymentName  = "lazarus"
	versioningSites = 4
	// versioningWindow sites run at once: the first wave starts on v1 and
	// waits at its customer gate across the switch; the rest start on v2.
	versioningWindow = 2
)

// TestUpgradeWorkersDuringABatch: the upgrade story of worker versioning on
// the real stack. Worker v1 (deployment "lazarus", build "v1") is made
// current and a Restore 2 batch of 4 deleted sites starts, 2 at a time.
// Once the first 2 sites run, the batch is paused, worker v2 starts and is
// made current, and the batch resumes; then the gates are approved. The 2 sites started
// before the switch stay pinned to v1 and finish there; the 2 started
// after it run on v2; the batch (auto-upgrade) moves to v2 and completes
// with every site restored and verified; v1, with nothing left pinned to
// it, is stopped.
func TestUpgradeWorkersDuringABatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	log := zap.NewNop()
	tmp := t.TempDir()
	bin, err := buildCLI(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	srv, tc, p := upSeeded(ctx, t, "lazarus-versioning-", 24, 17, log)
	sites := deleteSites(ctx, t, p, versioningSites, 17)
	began := time.Now()
	stopV1 := versionedWorker(ctx, t, srv.FrontendHostPort(), p, "v1", log)
	setCurrentVersion(ctx, t, tc, "v1")

	const batch = "e2e-versioning"
	lz := cli{t: t, bin: bin, address: srv.FrontendHostPort(), platform: p.DescriptionPath()}
	if out, code := lz.run(ctx, "restore", "start", "--runbook", "restore2", "--ids-file", writeLines(t, filepath.Join(tmp, "ids.txt"), sites),
		"--restore-offset", restoreOffset.String(), "--batch-id", batch, "--concurrency", "2"); code != 0 {
		t.Fatalf("restore start: exit %d\n%s", code, out)
	}
	// The coordinator pauses the batch while the fix rolls out (a site
	// waiting at its gate frees its place in the window, so the batch
	// would otherwise start every site on v1 before the switch), and
	// resumes it on v2.
	waitRunningSites(ctx, t, tc, sites, versioningWindow)
	if out, code := lz.run(ctx, "batch", "pause", batch, "--operator", "e2e-test", "--reason", "rolling out worker v2"); code != 0 {
		t.Fatalf("batch pause: exit %d\n%s", code, out)
	}
	t.Logf("first wave running after %.1fs", time.Since(began).Seconds())
	_ = versionedWorker(ctx, t, srv.FrontendHostPort(), p, "v2", log)
	setCurrentVersion(ctx, t, tc, "v2")
	switched := time.Now()
	before := startedSites(ctx, t, tc, sites)
	if len(before) == 0 || len(before) == len(sites) {
		t.Fatalf("%d of %d sites started before the switch; want some before and some after", len(before), len(sites))
	}
	for _, s := range before {
		if st, _ := siteVersion(ctx, t, tc, s); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			t.Fatalf("site %s was not running at the switch: %v", s, st)
		}
	}
	if out, code := lz.run(ctx, "batch", "resume", batch, "--operator", "e2e-test", "--reason", "worker v2 is current"); code != 0 {
		t.Fatalf("batch resume: exit %d\n%s", code, out)
	}

	restored := watchAllRestored(ctx, t, lz, tc, batch, sites)
	done := time.Now()

	onV1, onV2 := 0, 0
	for _, s := range sites {
		st, vi := siteVersion(ctx, t, tc, s)
		want := "v2"
		if slices.Contains(before, s) {
			want = "v1"
		}
		if st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED || vi.behavior != enumspb.VERSIONING_BEHAVIOR_PINNED || vi.buildID != want {
			t.Errorf("site %s: %v, %v on %q; want completed, pinned on %q", s, st, vi.behavior, vi.buildID, want)
		}
		if vi.buildID == "v1" {
			onV1++
		} else {
			onV2++
		}
	}
	bi := versioningOf(ctx, t, tc, workflows.BatchWorkflowID(batch))
	if bi.behavior != enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE || bi.buildID != "v2" {
		t.Errorf("batch: %v on %q; want auto-upgrade, on v2", bi.behavior, bi.buildID)
	}
	rep, err := p.Verify(ctx, sandbox.VerifyOptions{IDs: sites})
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v\n%s", err, report(rep))
	}

	drainage := "unknown"
	if d, err := tc.WorkerDeploymentClient().GetHandle(deploymentName).DescribeVersion(ctx, client.WorkerDeploymentDescribeVersionOptions{BuildID: "v1"}); err != nil {
		t.Errorf("describe version v1: %v", err)
	} else if di := d.Info.DrainageInfo; di != nil {
		drainage = map[client.WorkerDeploymentVersionDrainageStatus]string{
			client.WorkerDeploymentVersionDrainageStatusDraining: "draining", client.WorkerDeploymentVersionDrainageStatusDrained: "drained",
		}[di.DrainageStatus]
	}
	stopped := time.Now()
	stopV1()
	t.Logf("versioning: %d sites restored and verified in %.1fs; v2 current %.1fs after the start, with %d sites running on v1 (the batch paused); "+
		"%d sites finished on v1, %d on v2, the batch on v2; v1 %s when stopped (stop took %.1fs)",
		restored, done.Sub(began).Seconds(), switched.Sub(began).Seconds(), len(before), onV1, onV2, drainage, time.Since(stopped).Seconds())
}

// versionedWorker runs the worker in-process as deployment version buildID,
// with its own connection to Temporal, and returns once it polls. The
// returned stop stops it and waits for it (also done when the test ends).
func versionedWorker(ctx context.Context, t *testing.T, temporal string, p *sandbox.Platform, buildID string, log *zap.Logger) func() {
	t.Helper()
	return startWorker(ctx, t, "worker "+buildID, worker.Options{
		Temporal: tconn.Config{Address: temporal, Namespace: "default"}, PlatformFile: p.DescriptionPath(),
		Config: worker.DefaultConfig(), Logger: log.With(zap.String("build_id", buildID)),
		Versioning: worker.Versioning{DeploymentName: deploymentName, BuildID: buildID},
	})
}

// setCurrentVersion makes buildID the deployment's current version once
// the server has seen its workers poll every Lazarus task queue.
func setCurrentVersion(ctx context.Context, t *testing.T, tc client.Client, buildID string) {
	t.Helper()
	want := []string{workflows.WorkflowTaskQueue, workflows.BatchTaskQueue}
	for _, svc := range (worker.Options{Config: worker.DefaultConfig()}).Services() {
		want = append(want, workflows.ActivityTaskQueue(svc))
	}
	h := tc.WorkerDeploymentClient().GetHandle(deploymentName)
	began := time.Now()
	deadline := began.Add(150 * time.Second)
	var last error
	for tries := 1; time.Now().Before(deadline); tries++ {
		d, err := h.DescribeVersion(ctx, client.WorkerDeploymentDescribeVersionOptions{BuildID: buildID})
		if err == nil {
			seen := map[string]bool{}
			for _, q := range d.Info.TaskQueuesInfos {
				seen[q.Name] = true
			}
			missing := slices.DeleteFunc(slices.Clone(want), func(q string) bool { return seen[q] })
			if len(missing) == 0 {
				_, err = h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: buildID, Identity: "e2e-test"})
				// On a loaded machine the call can outlast the SDK's 10 s
				// RPC timeout and still take effect on the server.
				if err == nil || isCurrent(ctx, h, buildID) {
					t.Logf("%s current after %.1fs (%d tries; last refusal: %v; this call: %v)", buildID, time.Since(began).Seconds(), tries, last, err)
					return
				}
			} else {
				err = fmt.Errorf("task queues not polled yet by %s: %v", buildID, missing)
			}
		}
		last = err
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("set current version %s: %v", buildID, last)
}

// isCurrent says whether buildID is the deployment's current version.
func isCurrent(ctx context.Context, h client.WorkerDeploymentHandle, buildID string) bool {
	d, err := h.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	cur := d.Info.RoutingConfig.CurrentVersion
	return err == nil && cur != nil && cur.BuildID == buildID
}

// waitRunningSites waits until n of the sites' workflows are running.
func waitRunningSites(ctx context.Context, t *testing.T, tc client.Client, sites []string, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		running := 0
		for _, s := range sites {
			d, err := tc.DescribeWorkflowExecution(ctx, workflows.SiteWorkflowID(s), "")
			if err == nil && d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				running++
			}
		}
		if running >= n {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("fewer than %d sites running after 90s", n)
}

// startedSites returns the sites whose workflow has started.
func startedSites(ctx context.Context, t *testing.T, tc client.Client, sites []string) []string {
	t.Helper()
	var started []string
	for _, s := range sites {
		_, err := tc.DescribeWorkflowExecution(ctx, workflows.SiteWorkflowID(s), "")
		switch {
		case err == nil:
			started = append(started, s)
		case !isNotFound(err):
			t.Fatalf("describe site %s: %v", s, err)
		}
	}
	return started
}

// versioning is what DescribeWorkflowExecution says of a run's version.
type versioning struct {
	behavior enumspb.VersioningBehavior
	buildID  string
}

func versioningOf(ctx context.Context, t *testing.T, tc client.Client, workflowID string) versioning {
	t.Helper()
	_, v := describeVersioning(ctx, t, tc, workflowID)
	return v
}

func siteVersion(ctx context.Context, t *testing.T, tc client.Client, site string) (enumspb.WorkflowExecutionStatus, versioning) {
	t.Helper()
	return describeVersioning(ctx, t, tc, workflows.SiteWorkflowID(site))
}

func describeVersioning(ctx context.Context, t *testing.T, tc client.Client, workflowID string) (enumspb.WorkflowExecutionStatus, versioning) {
	t.Helper()
	d, err := tc.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		t.Fatalf("describe %s: %v", workflowID, err)
	}
	info := d.GetWorkflowExecutionInfo()
	vi := info.GetVersioningInfo()
	return info.GetStatus(), versioning{behavior: vi.GetBehavior(), buildID: vi.GetDeploymentVersion().GetBuildId()}
}
