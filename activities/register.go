package activities

import (
	"context"
	"maps"
	"slices"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/lazarus-dr/lazarus/contract"
)

// Func is the shape of every action.
type Func func(ctx context.Context, in contract.StepInput) (contract.StepOutput, error)

// Funcs maps every action name to its method.
func (a *Activities) Funcs() map[string]Func {
	return map[string]Func{
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
	}
}

// Names returns every action name this package registers, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys((&Activities{}).Funcs()))
}

// Register registers every action under its name. A worker that serves
// only some services' task queues may register everything: the task queue
// decides what it is given.
func Register(r worker.ActivityRegistry, deps Deps) *Activities {
	a := New(deps)
	for _, name := range Names() {
		r.RegisterActivityWithOptions(a.Funcs()[name], activity.RegisterOptions{Name: name})
	}
	return a
}
