package activities

import (
	"context"

	"github.com/lazarus-dr/lazarus/contract"
)

// IdentityRestoreContacts (identity.restore_contacts) copies the site's
// admins (the contacts) and the users they are, first, so the incident team
// can reach the customer before the rest of identity is back.
func (a *Activities) IdentityRestoreContacts(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return a.restoreKind(ctx, in, "contacts restored", "identity", PartContacts)
}

// IdentitySync (identity.sync) copies users, groups, memberships,
// permissions and site admins (every identity table; rows already restored
// by identity.restore_contacts are kept as they are).
func (a *Activities) IdentitySync(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return a.restoreKind(ctx, in, "identity synced", "identity")
}
