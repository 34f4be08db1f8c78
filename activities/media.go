package activities

import (
	"context"
	"fmt"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform/s3media"
)

// MediaUndelete (media.undelete, optional param product) brings the site's
// objects back to the versions current at the restore point: delete markers
// made after it removed, a later version covered by a copy of the version
// current at it. With Vars[contract.VarNewSiteID] (Restore 1, drills) the
// versions are copied under the new site's prefix instead and the old prefix
// is left as it is (the attachment rows are remapped by db.restore_tenant).
// With a product, only the keys under <site prefix><product>/ are restored.
func (a *Activities) MediaUndelete(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	to, product, err := a.targetAndProduct(in, false, "description", "media")
	if err != nil {
		return contract.StepOutput{}, err
	}
	point, err := a.checkPoint(in)
	if err != nil {
		return contract.StepOutput{}, err
	}
	prefix := a.d.Media.SitePrefix(in.SiteID)
	opts := s3media.UndeleteOptions{}
	if to != in.SiteID {
		opts.NewPrefix = a.d.Media.SitePrefix(to)
	}
	if product != "" {
		prefix += product + "/"
		if opts.NewPrefix != "" {
			opts.NewPrefix += product + "/"
		}
	}
	// A rerun after a crash needs no resume state: keys already restored
	// are found current and left alone. Every key done is progress; while
	// the versions are listed, a ticker until the undelete's deadline (each
	// S3 operation has its own, shorter one).
	opts.Progress = func(done, total int) {
		a.heartbeat(ctx, map[string]int{"keys_done": done, "keys": total})
	}
	cctx, stop := a.keepAlive(ctx, a.d.MediaTimeout, nil)
	res, err := a.d.Media.Undelete(cctx, prefix, point, opts)
	stop()
	if err != nil {
		return contract.StepOutput{}, fmt.Errorf("undelete media %s at %s: %w", prefix, point.Format("2006-01-02T15:04:05Z07:00"), err)
	}
	countObjects(ctx, res.MarkersRemoved+res.Copied)
	msg := fmt.Sprintf("media %s: %d keys at the point, %d delete markers removed, %d versions copied, %d already current",
		prefix, res.Keys, res.MarkersRemoved, res.Copied, res.AlreadyCurrent)
	if opts.NewPrefix != "" {
		msg += " (copied to " + opts.NewPrefix + ")"
	}
	return contract.StepOutput{Message: msg, Values: contract.Vars{contract.MediaKeysVar(orDash(product)): fmt.Sprint(res.Keys)}}, nil
}
