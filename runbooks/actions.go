package runbooks

import (
	"sort"

	"github.com/lazarus-dr/lazarus/contract"
)

// Action describes one entry of the closed registry of runbook actions. The
// names are a contract between runbooks/, activities/ and workflows/: the
// activity registered under Name implements the action, and a gate action has
// no activity at all (the workflow waits for a decision).
type Action struct {
	// Name is the action name used in runbooks and as the activity name.
	Name string `json:"name"`
	// Service is the downstream system the action calls by default; it names
	// the activity task queue (workflows.ActivityTaskQueue(Service)).
	Service string `json:"service"`
	// Scope is where the action runs: once per site or once per batch.
	Scope Scope `json:"scope"`
	// Stage is the default UI stage label of steps using this action.
	Stage string `json:"stage"`
	// Gate is true for actions that wait for a human decision.
	Gate bool `json:"gate,omitempty"`
	// Cleanup names, for a batch action, the action that releases what it made.
	Cleanup string `json:"cleanup,omitempty"`
	// CleanupOf is set on cleanup actions: the batch action they clean up.
	// A cleanup action is never a step of its own.
	CleanupOf string `json:"cleanup_of,omitempty"`
	// Required params must be present and non-empty.
	Required []string `json:"required,omitempty"`
	// Optional params may be present.
	Optional []string `json:"optional,omitempty"`
	// Summary is one line saying what the action does.
	Summary string `json:"summary"`
	// AnyParams is set on plug-in actions: params other than Required and
	// Optional are allowed and passed through to the plug-in.
	AnyParams bool `json:"any_params,omitempty"`
	// External is set on actions that no Lazarus worker runs: the team's
	// own worker polls the task queue the step's params name (so the
	// action has no Lazarus activity and its Service no Lazarus queue).
	External bool `json:"external,omitempty"`
}

// Param names used by the registry.
const (
	ParamProduct   = "product"
	ParamCluster   = "cluster"
	ParamTolerance = "tolerance"
	ParamTier      = "tier"
	ParamRegion    = "region"
)

// The optional "product" param on actions that are not inherently
// per-product narrows the action to that product's part of the site where the
// system keeps per-product data; an adapter without per-product data may do
// the whole site instead, which is correct because every action is idempotent.
var registry = []Action{
	{Name: contract.ActionCatalogUndelete, Service: "catalog", Scope: ScopeSite, Stage: "catalog",
		Summary: "Restore 2: the site's catalog rows back from the platform clone, same ID"},
	{Name: contract.ActionCatalogCreateSite, Service: "catalog", Scope: ScopeSite, Stage: "catalog",
		Summary: "Restore 1: new site, new deterministic ID, same URL; outputs new_site_id"},
	{Name: contract.ActionCatalogLicense, Service: "catalog", Scope: ScopeSite, Stage: "catalog",
		Optional: []string{ParamTier},
		Summary:  "Restore 1: license tier as before (param tier overrides)"},
	{Name: contract.ActionCatalogActivateProduct, Service: "catalog", Scope: ScopeSite, Stage: "catalog",
		Required: []string{ParamProduct},
		Summary:  "activate one product on the site"},
	{Name: contract.ActionCatalogPlaceRegion, Service: "catalog", Scope: ScopeSite, Stage: "catalog",
		Optional: []string{ParamProduct, ParamRegion},
		Summary:  "Restore 1: region placement as before (of the site, or of one product; param region overrides)"},
	{Name: contract.ActionMetadataRestore, Service: "catalog", Scope: ScopeSite, Stage: "metadata",
		Optional: []string{ParamProduct},
		Summary:  "core metadata and configuration rows (of the site, or of one product)"},
	{Name: contract.ActionIdentityContacts, Service: "identity", Scope: ScopeSite, Stage: "identity",
		Optional: []string{ParamProduct},
		Summary:  "site admins (the contacts) first"},
	{Name: contract.ActionIdentitySync, Service: "identity", Scope: ScopeSite, Stage: "identity",
		Optional: []string{ParamProduct},
		Summary:  "users, groups, memberships, permissions (of the site, or one product's access)"},
	{Name: contract.ActionDBRestoreTenant, Service: "db", Scope: ScopeSite, Stage: "data",
		Required: []string{ParamProduct},
		Summary:  "tenant rows from the clone into the live shard (remapped if new ID)"},
	{Name: contract.ActionMediaUndelete, Service: "media", Scope: ScopeSite, Stage: "media",
		Optional: []string{ParamProduct},
		Summary:  "media versions current at the restore point (Restore 1: under the new prefix)"},
	{Name: contract.ActionFlagsRestore, Service: "flags", Scope: ScopeSite, Stage: "flags",
		Optional: []string{ParamProduct},
		Summary:  "feature flags as before"},
	{Name: contract.ActionAppsReattach, Service: "vendors", Scope: ScopeSite, Stage: "apps",
		Optional: []string{ParamProduct},
		Summary:  "every app of the site: vendor told to reattach (same ID) or migrate (new ID)"},
	{Name: contract.ActionSearchReindex, Service: "search", Scope: ScopeSite, Stage: "search",
		Required: []string{ParamProduct},
		Summary:  "rebuild the derived search store of one product"},
	{Name: contract.ActionValidateAutomated, Service: "validate", Scope: ScopeSite, Stage: "validation",
		Optional: []string{ParamProduct},
		Summary:  "front door, and the restored rows and media compared with the restore point"},
	{Name: contract.ActionGateCustomerValidation, Service: "gate", Scope: ScopeSite, Stage: "validation", Gate: true,
		Summary: "a gate: the customer validates the site (no activity; the workflow waits)"},
	{Name: contract.ActionDBClone, Service: "db", Scope: ScopeBatch, Stage: "data", Cleanup: contract.ActionDBDropClone,
		Required: []string{ParamCluster}, Optional: []string{ParamTolerance},
		Summary: "plan and make point-in-time clones of one cluster for all the batch's sites"},
	{Name: contract.ActionDBDropClone, Service: "db", Scope: ScopeBatch, Stage: "data", CleanupOf: contract.ActionDBClone,
		Summary: "cleanup of db.clone: drop the batch's clones"},
	// Plug-in steps (see LANGUAGE.md): a team's own systems, without Go.
	{Name: contract.ActionWebhook, Service: "webhook", Scope: ScopeSite, Stage: "webhook",
		Required: []string{contract.ParamWebhook}, AnyParams: true,
		Summary: "POST the step to a webhook of the platform description (2xx or 409 done, other 4xx parks, 5xx retried)"},
	{Name: contract.ActionExternal, Service: "external", Scope: ScopeSite, Stage: "external",
		Required: []string{contract.ParamTaskQueue}, Optional: []string{contract.ParamActivity}, AnyParams: true, External: true,
		Summary: "an activity on the team's own worker (task_queue; activity, default " + contract.DefaultExternalActivity + "), JSON in and out"},
}

// Actions returns the closed registry of runbook actions, sorted by name.
// The returned slice is a copy.
func Actions() []Action {
	out := make([]Action, len(registry))
	for i, a := range registry {
		a.Required = append([]string(nil), a.Required...)
		a.Optional = append([]string(nil), a.Optional...)
		out[i] = a
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupAction returns the registry entry of name.
func LookupAction(name string) (Action, bool) {
	for _, a := range registry {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// ActivityNames returns the sorted names of the actions that are Lazarus
// activities: every action except gates and external ones (cleanup
// actions included).
func ActivityNames() []string {
	var out []string
	for _, a := range registry {
		if !a.Gate && !a.External {
			out = append(out, a.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Services returns the sorted distinct default services of the registry,
// gates excluded (a gate has no activity and so no task queue), and
// external actions too (the team's worker polls their queue).
func Services() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range registry {
		if a.Gate || a.External || seen[a.Service] {
			continue
		}
		seen[a.Service] = true
		out = append(out, a.Service)
	}
	sort.Strings(out)
	return out
}

func actionNames() []string {
	out := make([]string, 0, len(registry))
	for _, a := range registry {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

func (a Action) allowsParam(k string) bool {
	if a.AnyParams {
		return true
	}
	for _, p := range a.Required {
		if p == k {
			return true
		}
	}
	for _, p := range a.Optional {
		if p == k {
			return true
		}
	}
	return false
}
