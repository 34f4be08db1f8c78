package activities

import (
	"context"
	"fmt"
	"strings"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// ValidateAutomated (validate.automated) checks the restored site: the
// front door says it works (by its URL from the live catalog) and, where
// the platform has a truth (the sandbox), every store matches its truth at
// the site's restore point. A failure names what is missing or which store
// differs and how; it is retryable (the runbook's policy decides how often).
// A new site made by this restore (Restore 1, drills: provisioning, restored
// from this site) is set active once the data checks pass, before the
// front-door check: the only write of this action.
func (a *Activities) ValidateAutomated(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	if err := a.need("description", "catalog", "frontdoor"); err != nil {
		return contract.StepOutput{}, err
	}
	to, err := target(in)
	if err != nil {
		return contract.StepOutput{}, err
	}
	var rec platform.SiteRecord
	err = a.call(ctx, func(ctx context.Context) (err error) {
		rec, err = a.d.Catalog.GetSite(ctx, to)
		return err
	})
	if err != nil {
		return contract.StepOutput{}, fmt.Errorf("read site %s from the catalog: %w", to, err)
	}
	var problems []string
	checked := 0
	if a.d.Truth != nil {
		point, err := a.checkPoint(in)
		if err != nil {
			return contract.StepOutput{}, err
		}
		var diffs []platform.StoreDiff
		err = a.call(ctx, func(ctx context.Context) (err error) {
			diffs, err = a.d.Truth.VerifySite(ctx, in.SiteID, to, point)
			return err
		})
		if err != nil {
			return contract.StepOutput{}, fmt.Errorf("verify %s against the truth of %s: %w", to, in.SiteID, err)
		}
		for _, d := range diffs {
			checked++
			if !d.Match {
				problems = append(problems, fmt.Sprintf("store %s differs from its truth: %s", d.Store, d.Diff))
			}
		}
	}
	// A site made by this restore (Restore 1, drills) is provisioning until
	// its data are back: it goes active here, once the data checks pass, so
	// that the front door can serve it.
	activated := false
	if len(problems) == 0 && rec.Status == "provisioning" && to != in.SiteID && rec.RestoredFrom == in.SiteID {
		if err := a.call(ctx, func(ctx context.Context) error { return a.d.Catalog.SetStatus(ctx, to, "active") }); err != nil {
			return contract.StepOutput{}, fmt.Errorf("activate site %s: %w", to, err)
		}
		activated = true
	}
	var health platform.SiteHealth
	err = a.call(ctx, func(ctx context.Context) (err error) {
		health, err = a.d.FrontDoor.CheckSite(ctx, rec.URL)
		return err
	})
	if err != nil {
		return contract.StepOutput{}, fmt.Errorf("front door for %s: %w", rec.URL, err)
	}
	if !health.OK {
		problems = append(problems, fmt.Sprintf("front door says %s is not functional (missing: %s)", rec.URL, strings.Join(health.Missing, ", ")))
	}
	if len(problems) > 0 {
		return contract.StepOutput{}, retryable(ErrValidation, "%s", strings.Join(problems, "; "))
	}
	msg := fmt.Sprintf("front door OK for %s", rec.URL)
	if activated {
		msg = "site " + to + " activated; " + msg
	}
	if a.d.Truth != nil {
		msg += fmt.Sprintf("; %d store(s) match the truth", checked)
	}
	return contract.StepOutput{Message: msg}, nil
}
