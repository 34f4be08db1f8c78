package contract

// Action names: the closed registry of runbook actions. runbooks describes
// each (service, scope, params), activities implements each under its name,
// and workflows schedules each by name.
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
	// ActionGateCustomerValidation is a gate: no activity runs, the
	// workflow waits for a human decision.
	ActionGateCustomerValidation = "gate.customer_validation"
)
