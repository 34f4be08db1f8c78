package activities

import (
	"context"
	"maps"
	"slices"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/drill"
)

// Func is the shape of every action.
type Func func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error)

// Funcs maps every action name to its method, wrapped by step: what a
// worker registers and what tests call.
func (a *Activities) Funcs() map[string]Func {
	m := map[string]Func{
		contract.ActionCatalogUndelete:        a.CatalogUndelete,
		contract.ActionCatalogCreateSite:      a.CatalogCreateSite,
		contract.ActionCatalogLicense:         a.CatalogLicense,
		contract.ActionCatalogActivateProduct: a.CatalogActivateProduct,
		contract.ActionCatalogPlaceRegion:     a.CatalogPlaceRegion,
		contract.ActionMetadataRestore:        a.MetadataRestore,
		contract.ActionIdentityContacts:       a.IdentityRestoreContacts,
		contract.ActionIdentitySync:           a.IdentitySync,
		contract.ActionDBRestoreTenant:        a.DBRestoreTenant,
		contract.ActionMediaUndelete:          a.MediaUndelete,
		contract.ActionFlagsRestore:           a.FlagsRestore,
		contract.ActionAppsReattach:           a.AppsReattach,
		contract.ActionSearchReindex:          a.SearchReindex,
		contract.ActionValidateAutomated:      a.ValidateAutomated,
		contract.ActionDBClone:                a.DBClone,
		contract.ActionDBDropClone:            a.DBDropClone,
		contract.ActionWebhook:                a.Webhook,
	}
	for name, f := range m {
		m[name] = step(f)
	}
	return m
}

// step wraps an action so that any error it returns is wrapped exactly
// once, by fail: named after the action, site and step, with its
// retryability (and type) at the top of the chain, where Temporal reads
// it, and the attempt as its details (contract.FailureDetails). A success
// carries the attempt in StepOutput.Attempt. The methods themselves return
// their errors as they are. It also gives the attempt its pulse (see
// withPulse).
func step(f Func) Func {
	return func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
		attempt := attemptOf(ctx)
		out, err := f(withPulse(ctx), in)
		if err != nil {
			return contract.StepOutput{}, fail(in, err, contract.FailureDetails{Attempt: attempt})
		}
		out.Attempt = attempt
		return out, nil
	}
}

// attemptOf is the attempt Temporal is running (1 for the first), or 0
// outside an activity.
func attemptOf(ctx context.Context) int32 {
	if !activity.IsActivity(ctx) {
		return 0
	}
	return activity.GetInfo(ctx).Attempt
}

// Names returns every action name this package registers, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys((&Activities{}).Funcs()))
}

// Register registers every action under its name, and the drill's
// platform activities (drill.ActivityPrepare, ActivityChecksums,
// ActivityCleanup) under theirs. A worker that serves only some services'
// task queues may register everything: the task queue decides what it is
// given (the DrillRun workflow sends the drill's to the catalog service's
// queue).
func Register(r worker.ActivityRegistry, deps Deps) *Activities {
	a := New(deps)
	funcs := a.Funcs()
	for _, name := range Names() {
		r.RegisterActivityWithOptions(funcs[name], activity.RegisterOptions{Name: name})
	}
	r.RegisterActivityWithOptions(a.DrillPrepare, activity.RegisterOptions{Name: drill.ActivityPrepare})
	r.RegisterActivityWithOptions(a.DrillChecksums, activity.RegisterOptions{Name: drill.ActivityChecksums})
	r.RegisterActivityWithOptions(a.DrillCleanup, activity.RegisterOptions{Name: drill.ActivityCleanup})
	r.RegisterActivityWithOptions(a.ContactsRead, activity.RegisterOptions{Name: contract.ActivityContactsRead})
	return a
}
