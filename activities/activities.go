package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Activities holds every runbook action as a method.
type Activities struct {
	d Deps
	// beat records a heartbeat (tests count them).
	beat func(ctx context.Context, details ...any)
}

// New returns the activities with their dependencies.
func New(d Deps) *Activities {
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.QuietStart == 0 {
		d.QuietStart = QuietStart
	}
	if d.Pools == nil {
		d.Pools = pg.NewPools(pg.RestoreLimits, 0)
	}
	if d.VendorPoll <= 0 {
		d.VendorPoll = 30 * time.Second
	}
	if d.VendorPollInterval <= 0 {
		d.VendorPollInterval = 250 * time.Millisecond
	}
	for _, t := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&d.HeartbeatEvery, DefaultHeartbeatEvery}, {&d.CallTimeout, DefaultCallTimeout}, {&d.CopyTimeout, DefaultCopyTimeout},
		{&d.CloneTimeout, DefaultCloneTimeout}, {&d.MediaTimeout, DefaultMediaTimeout},
	} {
		if *t.v <= 0 {
			*t.v = t.def
		}
	}
	return &Activities{d: d, beat: recordHeartbeat}
}

// Error types of the non-retryable (and a few retryable) errors.
const (
	ErrInvalidInput     = "InvalidInput"     // a missing or malformed input
	ErrUnknownSite      = "UnknownSite"      // the platform does not know the site
	ErrOutsideRetention = "OutsideRetention" // restore point older than the backups reach
	ErrLiveSite         = "LiveSite"         // would overwrite a live site
	ErrDrillWritesLive  = "DrillWritesLive"  // a drill asked to write to a live ID
	ErrMissingDep       = "MissingDependency"
	ErrValidation       = "ValidationFailed" // retryable: the data does not match yet
	ErrVendorPending    = "VendorPending"    // retryable: a vendor has not confirmed yet
	ErrPlatformRefused  = "PlatformRefused"  // a platform service answered 4xx
)

// permanent makes a non-retryable error of a type.
func permanent(errType, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errType, nil)
}

// retryable makes a retryable application error of a type.
func retryable(errType, format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), errType)
}

// IsPermanent says whether err (anywhere in its chain) is non-retryable.
func IsPermanent(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.NonRetryable()
}

// ErrorType is the application error type in err's chain, or "".
func ErrorType(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type()
	}
	return ""
}

// fail wraps err naming the action, site and step, with the failure's
// details; step (register.go) calls it on every error an action returns, so
// the methods never do. Temporal reads retryability from the top-level
// error only, so an application error deep in the chain is lifted to the
// top with the wrapped message. The cause's text follows the message in
// Error(), and errors.Is still finds the cause: a context.Canceled is
// reported to Temporal as a cancellation (the SDK looks for it with
// errors.Is), a deadline as a retryable failure.
func fail(in contract.StepInput, err error, details contract.FailureDetails) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf("%s: site %s, step %s", in.Action, orDash(in.SiteID), orDash(in.StepID))
	var ae *temporal.ApplicationError
	switch {
	case errors.As(err, &ae) && ae.NonRetryable():
		return temporal.NewNonRetryableApplicationError(msg, ae.Type(), err, details)
	case ae != nil:
		return temporal.NewApplicationErrorWithCause(msg, ae.Type(), err, details)
	case httpapi.IsPermanent(err) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		// A 4xx answer of a platform service: the same request cannot
		// succeed later (the step parks; an operator decides).
		return temporal.NewNonRetryableApplicationError(msg, ErrPlatformRefused, err, details)
	}
	return temporal.NewApplicationErrorWithCause(msg, "", err, details)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// log returns a logger with the batch, site and step fields.
func (a *Activities) log(in contract.StepInput) *zap.Logger {
	return a.d.Logger.With(zap.String("batch", in.BatchID), zap.String("site", in.SiteID),
		zap.String("step", in.StepID), zap.String("action", in.Action))
}

// target is the site ID the action writes to: Vars[contract.VarNewSiteID] when set
// (Restore 1, drills), else the site itself. A drill without a new ID is
// refused: it must never write to the live site.
func target(in contract.StepInput) (string, error) {
	if in.SiteID == "" {
		return "", permanent(ErrInvalidInput, "site_id is empty")
	}
	if id := in.Vars[contract.VarNewSiteID]; id != "" {
		if id == in.SiteID {
			return "", permanent(ErrInvalidInput, "vars %s %q equals the site ID", contract.VarNewSiteID, id)
		}
		return id, nil
	}
	if in.Drill {
		return "", permanent(ErrDrillWritesLive, "a drill must restore under a new ID (vars %s is empty; run %s first)", contract.VarNewSiteID, contract.ActionCatalogCreateSite)
	}
	return in.SiteID, nil
}

// param returns a required step param.
func param(in contract.StepInput, name string) (string, error) {
	v := in.Params[name]
	if v == "" {
		return "", permanent(ErrInvalidInput, "param %q is missing", name)
	}
	return v, nil
}

// checkPoint validates the site's restore point: set, not in the future,
// inside retention.
func (a *Activities) checkPoint(in contract.StepInput) (time.Time, error) {
	p := in.RestorePoint
	if p.IsZero() {
		t, ok, err := in.Vars.RestorePoint()
		if err != nil {
			return time.Time{}, permanent(ErrInvalidInput, "%v", err)
		}
		if ok {
			p = t
		}
	}
	if p.IsZero() {
		return time.Time{}, permanent(ErrInvalidInput, "restore point is not set")
	}
	return p, a.inRetention(p)
}

func (a *Activities) inRetention(p time.Time) error {
	now := a.d.Now()
	if p.After(now) {
		return permanent(ErrInvalidInput, "restore point %s is in the future", p.Format(time.RFC3339))
	}
	if a.d.Description == nil {
		return nil
	}
	if r := a.d.Description.Retention; r > 0 && p.Before(now.Add(-r)) {
		return permanent(ErrOutsideRetention, "restore point %s is outside retention (%s, oldest %s)",
			p.Format(time.RFC3339), r, now.Add(-r).Format(time.RFC3339))
	}
	return nil
}

// need checks that dependencies are present.
func (a *Activities) need(what ...string) error {
	for _, w := range what {
		missing := false
		switch w {
		case "description":
			missing = a.d.Description == nil
		case "catalog":
			missing = a.d.Catalog == nil
		case "vendors":
			missing = a.d.Vendors == nil
		case "search":
			missing = a.d.Search == nil
		case "frontdoor":
			missing = a.d.FrontDoor == nil
		case "media":
			missing = a.d.Media == nil
		case "pitr":
			missing = a.d.PITR == nil
		}
		if missing {
			return permanent(ErrMissingDep, "the worker has no %s configured", w)
		}
	}
	return nil
}
