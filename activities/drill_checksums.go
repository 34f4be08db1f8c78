package activities

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/drill"
)

// DrillChecksums (drill.ActivityChecksums) takes every production tenant's
// checksum, allowing for the live traffic it received, drill copies
// excluded (Deps.Checksums): the DrillRun workflow takes them before and
// after its copies are made, to prove that the drill wrote to no
// production tenant. A worker without a checksums adapter refuses it
// (non-retryable): the proof cannot be made there.
func (a *Activities) DrillChecksums(ctx context.Context) (drill.ChecksumsOutput, error) {
	if a.d.Checksums == nil {
		return drill.ChecksumsOutput{}, permanent(ErrMissingDep,
			"drill checksums: the platform has no checksums adapter (Deps.Checksums: the sandbox's admin API, or a real platform's own), so the drill cannot prove that no production tenant changed")
	}
	ctx = withPulse(ctx)
	began := time.Now()
	// One call, as long as a tenant copy may take: it reads every tenant.
	cctx, stop := a.keepAlive(ctx, a.d.CopyTimeout, nil)
	sums, err := a.d.Checksums.ProductionChecksums(cctx)
	stop()
	if err != nil {
		return drill.ChecksumsOutput{}, drillFail("drill checksums", fmt.Errorf("production checksums: %w", err))
	}
	if len(sums) == 0 {
		return drill.ChecksumsOutput{}, drillFail("drill checksums", fmt.Errorf("production checksums: the platform answered no tenant at all"))
	}
	a.d.Logger.Info("production checksums taken", zap.Int("tenants", len(sums)), zap.Duration("took", time.Since(began)))
	return drill.ChecksumsOutput{Tenants: sums}, nil
}
