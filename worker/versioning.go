package worker

import (
	"errors"
	"fmt"
	"sort"

	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/lazarus-dr/lazarus/workflows"
)

// Versioning is the worker's Worker Deployment Version (--deployment-name,
// --build-id). With both set, every Temporal worker of the process polls as
// that version, and the server routes each workflow by its versioning
// behavior (workflowBehaviors); the zero value runs unversioned, as before.
type Versioning struct {
	DeploymentName string
	BuildID        string
}

// Enabled says whether the worker runs as a deployment version.
func (v Versioning) Enabled() bool { return v.DeploymentName != "" && v.BuildID != "" }

// Validate refuses one of the two without the other.
func (v Versioning) Validate() error {
	switch {
	case v.DeploymentName != "" && v.BuildID == "":
		return errors.New("--build-id is missing: worker versioning takes both --deployment-name and --build-id")
	case v.DeploymentName == "" && v.BuildID != "":
		return errors.New("--deployment-name is missing: worker versioning takes both --deployment-name and --build-id")
	}
	return nil
}

// deploymentOptions are the SDK options of every worker of the process.
// No default behavior: each workflow type declares its own (register), so
// a workflow type added without a decision fails the worker's start.
func (v Versioning) deploymentOptions() sdkworker.DeploymentOptions {
	if !v.Enabled() {
		return sdkworker.DeploymentOptions{}
	}
	return sdkworker.DeploymentOptions{
		UseVersioning: true,
		Version:       sdkworker.WorkerDeploymentVersion{DeploymentName: v.DeploymentName, BuildID: v.BuildID},
	}
}

// workflowBehaviors is the versioning behavior of each workflow type, what
// the server does with a running workflow when a new version becomes
// current:
//
//   - RestoreBatch auto-upgrades. A batch runs for hours and continues as
//     new; pinned, it would keep the old workers for the whole incident and
//     never get the fix that was deployed for it. Every change to its code
//     is taken through workflow.GetVersion (workflows/versions.go), and the
//     replay test keeps a recorded history of each code generation, so a
//     new worker replays a batch started by an old one. The sites it starts
//     after the switch start on the new version.
//   - RestoreSite is pinned. A site lasts minutes: it finishes on the code
//     that started it, so a mid-incident fix to the site's DAG runner does
//     not have to replay sites already half-restored. A site blocked for
//     long (parked, or at a gate) keeps the old version's workers until it
//     ends; an operator can move it (temporal workflow update-options
//     --versioning-override-behavior auto_upgrade), which is safe because
//     site changes are behind GetVersion too.
//   - DrillRun is pinned. It has no GetVersion guards, a drill measures one
//     code's RTO and RPO, and nothing is urgent about a rehearsal: it ends
//     on the version it began on.
//   - BatchContacts is pinned: one activity, seconds long.
var workflowBehaviors = map[string]workflow.VersioningBehavior{
	workflows.RestoreBatchWorkflowName:  workflow.VersioningBehaviorAutoUpgrade,
	workflows.RestoreSiteWorkflowName:   workflow.VersioningBehaviorPinned,
	workflows.DrillWorkflowName:         workflow.VersioningBehaviorPinned,
	workflows.BatchContactsWorkflowName: workflow.VersioningBehaviorPinned,
}

// registerWorkflows registers every Lazarus workflow on w (workflows.Register)
// with its versioning behavior when the worker is versioned.
func registerWorkflows(w sdkworker.WorkflowRegistry, v Versioning) error {
	if !v.Enabled() {
		workflows.Register(w)
		return nil
	}
	r := &behaviorRegistry{WorkflowRegistry: w}
	workflows.Register(r)
	if len(r.missing) > 0 {
		sort.Strings(r.missing)
		return fmt.Errorf("worker versioning: no versioning behavior for workflow type(s) %v (worker/versioning.go)", r.missing)
	}
	return nil
}

// behaviorRegistry sets each workflow type's behavior from
// workflowBehaviors as workflows.Register registers it, and notes the
// types that have none (those are not registered).
type behaviorRegistry struct {
	sdkworker.WorkflowRegistry
	missing []string
}

func (r *behaviorRegistry) RegisterWorkflow(w any) {
	r.missing = append(r.missing, fmt.Sprintf("%T (registered without a name)", w))
}

func (r *behaviorRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	b, ok := workflowBehaviors[o.Name]
	if !ok {
		r.missing = append(r.missing, o.Name)
		return
	}
	o.VersioningBehavior = b
	r.WorkflowRegistry.RegisterWorkflowWithOptions(w, o)
}
