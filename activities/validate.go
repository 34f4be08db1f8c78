package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// ValidateAutomated (validate.automated, optional param product) checks the
// restored site with no oracle: every store of the site's data that the
// restore copies, and its media, are compared with the restore point
// itself, the clone of each cluster (through the ID remap when the site was
// restored under a new ID; see validate_stores.go and validate_media.go for
// what is compared and how live traffic is allowed for), then the front
// door must say the site works (by its URL from the live catalog). With
// param product only that product's tables and media are compared. A
// failure names each store and table (or media prefix) that differs, and
// how; it is retryable (the runbook's policy decides how often). A new site
// made by this restore (Restore 1, drills: provisioning, restored from this
// site) is set active once the data checks pass, before the front-door
// check: the only write of this action.
//
// The sandbox's recorded truth (platform.Truth) is not used here: it is a
// test oracle, for the tests and the demo's final `sandbox verify`, never
// the product's validation, which must work on a platform that has none.
func (a *Activities) ValidateAutomated(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	to, product, err := a.targetAndProduct(in, false, "description", "catalog", "frontdoor")
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
	began := time.Now()
	problems, summary, err := a.checkData(ctx, in, to, product)
	if err != nil {
		return contract.StepOutput{}, err
	}
	a.log(in).Info("restored data compared with the restore point: " + summary)
	took := time.Since(began)
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
	msg := fmt.Sprintf("front door OK for %s; %s (compared in %s)", rec.URL, summary, took.Round(time.Millisecond))
	if activated {
		msg = "site " + to + " activated; " + msg
	}
	return contract.StepOutput{Message: msg}, nil
}

// checkData compares the site's stores and media with the restore point:
// the problems found (one line each) and a one-line summary.
func (a *Activities) checkData(ctx context.Context, in contract.StepInput, to, product string) ([]string, string, error) {
	var tally storeTally
	checks, notes, err := a.storeChecks(ctx, in, to, product)
	if err != nil {
		return nil, "", err
	}
	tally.notes = notes
	if err := a.compareStores(ctx, in, to, checks, &tally); err != nil {
		return nil, "", err
	}
	problems := tally.problems
	var b strings.Builder
	fmt.Fprintf(&b, "%d table(s) of %d store(s) as at the restore point (%d rows", tally.tables, tally.stores, tally.rows)
	if tally.extra > 0 {
		fmt.Fprintf(&b, "; %d written since, kept", tally.extra)
	}
	b.WriteString(")")
	if a.d.Media == nil {
		tally.notes = append(tally.notes, "media not compared (no media store)")
	} else {
		// The stores' point is their clones'; the media's is the step's.
		point, err := a.checkPoint(in)
		if err != nil {
			return nil, "", err
		}
		m, err := a.compareMedia(ctx, in, to, product, point)
		if err != nil {
			return nil, "", err
		}
		if p := m.problem(); p != "" {
			problems = append(problems, p)
		}
		fmt.Fprintf(&b, ", %d media object(s) under %s", m.keys, m.prefix)
		if m.extra > 0 {
			fmt.Fprintf(&b, " (%d written since, kept)", m.extra)
		}
	}
	for _, n := range tally.notes {
		b.WriteString("; " + n)
	}
	return problems, b.String(), nil
}
