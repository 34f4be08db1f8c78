package activities

import (
	"context"

	"github.com/lazarus-dr/lazarus/contract"
)

// FlagsRestore (flags.restore) copies the site's feature flags.
func (a *Activities) FlagsRestore(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	return a.restoreKind(ctx, in, "flags restored", "flags")
}
