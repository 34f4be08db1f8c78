package activities

import (
	"context"
	"fmt"
	"strings"
)

// ValidateAutomated (validate.automated) checks the restored site: the
// front door says it works (by its URL from the live catalog) and, where
// the platform has a truth (the sandbox), every store matches its truth at
// the site's restore point. A failure names what is missing or which store
// differs and how; it is retryable (the runbook's policy decides how often).
func (a *Activities) ValidateAutomated(ctx context.Context, in StepInput) (StepOutput, error) {
	if err := a.need("description", "catalog", "frontdoor"); err != nil {
		return StepOutput{}, fail(in, err)
	}
	to, err := target(in)
	if err != nil {
		return StepOutput{}, fail(in, err)
	}
	rec, err := a.d.Catalog.GetSite(ctx, to)
	if err != nil {
		return StepOutput{}, fail(in, fmt.Errorf("read site %s from the catalog: %w", to, err))
	}
	var problems []string
	health, err := a.d.FrontDoor.CheckSite(ctx, rec.URL)
	if err != nil {
		return StepOutput{}, fail(in, fmt.Errorf("front door for %s: %w", rec.URL, err))
	}
	if !health.OK {
		problems = append(problems, fmt.Sprintf("front door says %s is not functional (missing: %s)", rec.URL, strings.Join(health.Missing, ", ")))
	}
	checked := 0
	if a.d.Truth != nil {
		point, err := a.checkPoint(in)
		if err != nil {
			return StepOutput{}, fail(in, err)
		}
		diffs, err := a.d.Truth.VerifySite(ctx, in.SiteID, to, point)
		if err != nil {
			return StepOutput{}, fail(in, fmt.Errorf("verify %s against the truth of %s: %w", to, in.SiteID, err))
		}
		for _, d := range diffs {
			checked++
			if !d.Match {
				problems = append(problems, fmt.Sprintf("store %s differs from its truth: %s", d.Store, d.Diff))
			}
		}
	}
	if len(problems) > 0 {
		return StepOutput{}, fail(in, retryable(ErrValidation, "%s", strings.Join(problems, "; ")))
	}
	msg := fmt.Sprintf("front door OK for %s", rec.URL)
	if a.d.Truth != nil {
		msg += fmt.Sprintf("; %d store(s) match the truth", checked)
	}
	return StepOutput{Message: msg}, nil
}
