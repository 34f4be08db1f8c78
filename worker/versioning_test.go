package worker

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/workflows"
)

// TestVersioningFlags: --deployment-name and --build-id (or their
// environment variables) make the worker a deployment version; one without
// the other is refused naming the missing flag; neither leaves it
// unversioned.
func TestVersioningFlags(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", t.TempDir()+"/none.toml")
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    Versioning
		missing string
	}{
		{name: "neither", args: nil},
		{name: "both", args: []string{"--deployment-name", "lazarus", "--build-id", "v2"}, want: Versioning{"lazarus", "v2"}},
		{name: "environment", env: map[string]string{"LAZARUS_DEPLOYMENT_NAME": "lazarus", "LAZARUS_BUILD_ID": "v3"}, want: Versioning{"lazarus", "v3"}},
		{name: "name only", args: []string{"--deployment-name", "lazarus"}, missing: "--build-id"},
		{name: "build only", args: []string{"--build-id", "v2"}, missing: "--deployment-name"},
		{name: "build from env only", env: map[string]string{"LAZARUS_BUILD_ID": "v2"}, missing: "--deployment-name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LAZARUS_DEPLOYMENT_NAME", "")
			t.Setenv("LAZARUS_BUILD_ID", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var f Flags
			fs := pflag.NewFlagSet("lazarus-worker", pflag.ContinueOnError)
			f.AddFlags(fs)
			if err := fs.Parse(append([]string{"--platform", "p.yaml"}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			opts, _, err := f.Options()
			if tc.missing != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.missing+" is missing") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("want one line naming %s, got %v", tc.missing, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.Versioning != tc.want || opts.Versioning.Enabled() != (tc.want != Versioning{}) {
				t.Fatalf("versioning %+v, want %+v", opts.Versioning, tc.want)
			}
		})
	}
}

// recorder records what workflows.Register registers.
type recorder struct {
	sdkworker.WorkflowRegistry
	options map[string]workflow.RegisterOptions
}

func (r *recorder) RegisterWorkflowWithOptions(_ any, o workflow.RegisterOptions) {
	r.options[o.Name] = o
}

// TestEveryWorkflowTypeHasABehavior: a versioned worker registers every
// workflow type workflows.Register has, each with its behavior (the batch
// auto-upgrades, the rest are pinned); an unversioned one registers them
// as workflows.Register does.
func TestEveryWorkflowTypeHasABehavior(t *testing.T) {
	all := &recorder{options: map[string]workflow.RegisterOptions{}}
	workflows.Register(all)
	versioned := &recorder{options: map[string]workflow.RegisterOptions{}}
	if err := registerWorkflows(versioned, Versioning{"lazarus", "v1"}); err != nil {
		t.Fatal(err)
	}
	if len(versioned.options) != len(all.options) || len(all.options) != len(workflowBehaviors) {
		t.Fatalf("registered %d types versioned, %d by workflows.Register, %d behaviors", len(versioned.options), len(all.options), len(workflowBehaviors))
	}
	for name, o := range versioned.options {
		if o.VersioningBehavior == workflow.VersioningBehaviorUnspecified || o.VersioningBehavior != workflowBehaviors[name] {
			t.Errorf("%s: behavior %v", name, o.VersioningBehavior)
		}
	}
	if b := versioned.options[workflows.RestoreBatchWorkflowName].VersioningBehavior; b != workflow.VersioningBehaviorAutoUpgrade {
		t.Errorf("RestoreBatch: %v, want auto-upgrade", b)
	}
	if b := versioned.options[workflows.RestoreSiteWorkflowName].VersioningBehavior; b != workflow.VersioningBehaviorPinned {
		t.Errorf("RestoreSite: %v, want pinned", b)
	}
	plain := &recorder{options: map[string]workflow.RegisterOptions{}}
	if err := registerWorkflows(plain, Versioning{}); err != nil {
		t.Fatal(err)
	}
	for name, o := range plain.options {
		if o.VersioningBehavior != workflow.VersioningBehaviorUnspecified {
			t.Errorf("unversioned %s: behavior %v", name, o.VersioningBehavior)
		}
	}
}

// TestUnknownWorkflowTypeRefused: a workflow type with no behavior fails
// the versioned worker's registration, naming it.
func TestUnknownWorkflowTypeRefused(t *testing.T) {
	r := &behaviorRegistry{WorkflowRegistry: &recorder{options: map[string]workflow.RegisterOptions{}}}
	r.RegisterWorkflowWithOptions(nil, workflow.RegisterOptions{Name: "NewWorkflow"})
	if len(r.missing) != 1 || r.missing[0] != "NewWorkflow" {
		t.Fatalf("missing %v", r.missing)
	}
}

// TestSDKAcceptsTheVersionedWorker: the SDK's worker takes the deployment
// options and the registrations (it panics on a workflow type without a
// behavior when there is no default).
func TestSDKAcceptsTheVersionedWorker(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v := Versioning{"lazarus", "v1"}
	w := sdkworker.New(c, workflows.WorkflowTaskQueue, sdkworker.Options{DeploymentOptions: v.deploymentOptions()})
	if err := registerWorkflows(w, v); err != nil {
		t.Fatal(err)
	}
	if o := (Versioning{}).deploymentOptions(); o.UseVersioning || o.Version != (sdkworker.WorkerDeploymentVersion{}) {
		t.Fatalf("unversioned options %+v", o)
	}
}
