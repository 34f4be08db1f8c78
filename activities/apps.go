package activities

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
)

// AppsReattach (apps.reattach) copies the site's app installation rows
// (catalog part apps) from the clone, remapped for a new ID, then tells each
// app's vendor to reattach it (same ID) or to migrate it (new ID) and polls
// the vendors' operations with heartbeats. It polls for at most
// Deps.VendorPoll per attempt, then returns a retryable VendorPending error
// so that Temporal retries later instead of holding a worker slot. In a
// drill nothing is written and the vendors are not told: app IDs are unique
// platform-wide and stay with the live site.
func (a *Activities) AppsReattach(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	to, picks, err := a.copyInput(in, []string{"description", "pitr", "vendors"}, "catalog", PartApps)
	if err != nil {
		return contract.StepOutput{}, err
	}
	apps, err := a.appsAtPoint(ctx, in, picks)
	if err != nil {
		return contract.StepOutput{}, err
	}
	if in.Drill {
		// App IDs are unique platform-wide and stay with the live site: a
		// drill copy gets neither the installations nor the vendors' attention.
		return contract.StepOutput{Message: fmt.Sprintf("drill: %d app(s) at the point stay with the live site %s; vendors not told", len(apps), in.SiteID)}, nil
	}
	res, err := a.copyStores(ctx, in, picks)
	if err != nil {
		return contract.StepOutput{}, err
	}
	pending := map[string]platform.VendorOperation{} // app -> operation
	for _, app := range apps {
		var op platform.VendorOperation
		err := a.callVendor(ctx, func(ctx context.Context) (err error) {
			if to != in.SiteID {
				op, err = a.d.Vendors.Migrate(ctx, app, in.SiteID, to)
			} else {
				op, err = a.d.Vendors.Reattach(ctx, app, to)
			}
			return err
		})
		if err != nil {
			return contract.StepOutput{}, fmt.Errorf("vendor of app %s: %w", app, err)
		}
		if op.Error != "" {
			return contract.StepOutput{}, fmt.Errorf("vendor of app %s refused: %s", app, op.Error)
		}
		if !op.Done {
			pending[app] = op
		}
	}
	if err := a.waitVendors(ctx, in, pending, len(apps)); err != nil {
		return contract.StepOutput{}, err
	}
	verb := "reattached"
	if to != in.SiteID {
		verb = "migrated to " + to
	}
	return contract.StepOutput{Message: fmt.Sprintf("%d app(s) %s (%d app rows, %d new)", len(apps), verb, res.Rows, res.Inserted),
		Values: contract.Vars{contract.VarApps: fmt.Sprint(len(apps))}}, nil
}

// waitVendors polls the pending vendor operations (app -> operation) with
// heartbeats until all are done, for at most Deps.VendorPoll; then it
// returns a retryable VendorPending error (Temporal retries the activity,
// whose rerun asks the vendors again: their requests are idempotent).
func (a *Activities) waitVendors(ctx context.Context, in contract.StepInput, pending map[string]platform.VendorOperation, total int) error {
	log := a.log(in)
	deadline := time.Now().Add(a.d.VendorPoll)
	for len(pending) > 0 {
		a.heartbeat(ctx, map[string]int{"apps": total, "pending": len(pending)})
		if time.Now().After(deadline) {
			return retryable(ErrVendorPending, "%d of %d vendor operations not confirmed after %s (%s)", len(pending), total, a.d.VendorPoll, strings.Join(slices.Sorted(maps.Keys(pending)), ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(a.d.VendorPollInterval):
		}
		for _, app := range slices.Sorted(maps.Keys(pending)) {
			var op platform.VendorOperation
			err := a.call(ctx, func(ctx context.Context) (err error) {
				op, err = a.d.Vendors.Operation(ctx, pending[app].ID)
				return err
			})
			if err != nil && httpapi.IsPermanent(err) {
				return fmt.Errorf("vendor operation %s of app %s: %w", pending[app].ID, app, err)
			}
			if err != nil {
				// A poll that fails in a way that may pass (a 5xx, a timeout)
				// is asked again at the next poll, within VendorPoll: one
				// flaky answer does not cost the attempt, and its retry.
				log.Warn("vendor poll failed; polling on", zap.String("app", app), zap.Error(err))
				continue
			}
			if op.Error != "" {
				return fmt.Errorf("vendor operation %s of app %s failed: %s", op.ID, app, op.Error)
			}
			if op.Done {
				delete(pending, app)
				log.Info("vendor confirmed", zap.String("app", app), zap.String("operation", op.ID))
			}
		}
	}
	return nil
}

// vendorTries is how many times one vendor request is sent within an
// attempt when it fails in a way that may pass.
const vendorTries = 3

// callVendor sends one vendor request (idempotent: asking again for the
// same reattach or migration returns the same operation), trying again up
// to vendorTries times, VendorPollInterval apart, when it fails in a way
// that may pass (not a 4xx, not the attempt's end). Under a service that
// errs now and then, the attempt then rarely fails for one unlucky call.
func (a *Activities) callVendor(ctx context.Context, f func(ctx context.Context) error) error {
	for try := 1; ; try++ {
		err := a.call(ctx, f)
		if err == nil || httpapi.IsPermanent(err) || ctx.Err() != nil || try == vendorTries {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(a.d.VendorPollInterval):
		}
	}
}

// appsAtPoint lists the app IDs the site had at the restore point (rows of
// the apps tables in the clone, column app_id).
func (a *Activities) appsAtPoint(ctx context.Context, in contract.StepInput, picks []storePick) ([]string, error) {
	seen := map[string]bool{}
	for _, p := range picks {
		clone, _, err := a.storeDSNs(ctx, in, p.store)
		if err != nil {
			return nil, err
		}
		for _, t := range p.tables {
			rows, err := a.tenantRows(ctx, clone, p.store, t.Name, in.SiteID)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if id := str(r, "app_id"); id != "" && str(r, "status") != "uninstalled" {
					seen[id] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}
