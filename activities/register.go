package activities

import (
	"context"
	"sort"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
)

// Action names (the closed registry shared with runbooks/ and workflows/).
const (
	ActionCatalogUndelete        = "catalog.undelete"
	ActionCatalogCreateSite      = "catalog.create_site"
	ActionCatalogLicense         = "catalog.license"
	ActionCatalogActivateProduct = "catalog.activate_product"
	ActionCatalogPlaceRegion     = "catalog.place_region"
	ActionMetadataRestore        = "metadata.restore"
	ActionIdentityContacts       = "identity.restore_contacts"
	ActionIdentitySync           = "identity.sync"
	ActionDBRestoreTenant        = "db.restore_tenant"
	ActionMediaUndelete          = "media.undelete"
	ActionFlagsRestore           = "flags.restore"
	ActionAppsReattach           = "apps.reattach"
	ActionSearchReindex          = "search.reindex"
	ActionValidateAutomated      = "validate.automated"
	ActionDBClone                = "db.clone"
	ActionDBDropClone            = "db.drop_clone"
)

// Func is the shape of every action.
type Func func(ctx context.Context, in StepInput) (StepOutput, error)

// Funcs maps every action name to its method.
func (a *Activities) Funcs() map[string]Func {
	return map[string]Func{
		ActionCatalogUndelete:        a.CatalogUndelete,
		ActionCatalogCreateSite:      a.CatalogCreateSite,
		ActionCatalogLicense:         a.CatalogLicense,
		ActionCatalogActivateProduct: a.CatalogActivateProduct,
		ActionCatalogPlaceRegion:     a.CatalogPlaceRegion,
		ActionMetadataRestore:        a.MetadataRestore,
		ActionIdentityContacts:       a.IdentityRestoreContacts,
		ActionIdentitySync:           a.IdentitySync,
		ActionDBRestoreTenant:        a.DBRestoreTenant,
		ActionMediaUndelete:          a.MediaUndelete,
		ActionFlagsRestore:           a.FlagsRestore,
		ActionAppsReattach:           a.AppsReattach,
		ActionSearchReindex:          a.SearchReindex,
		ActionValidateAutomated:      a.ValidateAutomated,
		ActionDBClone:                a.DBClone,
		ActionDBDropClone:            a.DBDropClone,
	}
}

// Names returns every action name this package registers, sorted.
func Names() []string {
	m := (&Activities{}).Funcs()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
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
