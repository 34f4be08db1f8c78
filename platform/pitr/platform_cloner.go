package pitr

import (
	"context"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// ForPlatform is the cloner of every cluster of the description by its
// backup kind: the local and pgBackRest cloners always, and the RDS one
// (which loads the AWS configuration) only when a cluster is on RDS. The
// worker clones through it; `platform check` and the preflight read its
// windows. When a cluster connects with IAM tokens (rds.iam_auth), the RDS
// cloner also becomes the process's pg.PasswordSource, so that every
// connection to it or its clones gets a fresh token, stored nowhere.
func ForPlatform(ctx context.Context, desc *platform.Description, logger *zap.Logger) (*ByKind, error) {
	b := NewByKind(desc, logger)
	for _, c := range desc.Clusters {
		if c.BackupKind() != platform.BackupsRDS {
			continue
		}
		r, err := NewRDSCloner(ctx, desc, logger)
		if err != nil {
			return nil, err
		}
		b.Set(platform.BackupsRDS, r)
		if r.UsesIAM() {
			pg.SetPasswordSource(r)
		}
		break
	}
	return b, nil
}
