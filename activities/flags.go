package activities

import "context"

// FlagsRestore (flags.restore) copies the site's feature flags.
func (a *Activities) FlagsRestore(ctx context.Context, in StepInput) (StepOutput, error) {
	return a.restoreKind(ctx, in, "flags restored", "flags")
}
