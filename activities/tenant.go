package activities

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
)

// copyResume is the heartbeat of a tenant copy: tables done per store (what
// a retry skips), and the progress of the table streaming now.
type copyResume struct {
	Done map[string][]string `json:"done"` // store -> tables done
	Rows int64               `json:"rows"`
	// Copying is the store.table streaming now; Bytes counts the COPY data
	// streamed into the live store by this attempt.
	Copying string `json:"copying,omitempty"`
	Bytes   int64  `json:"bytes,omitempty"`
}

// copyStores copies the site's rows of the given tables of each store from
// the clone into the live store (under the target ID), resuming after the
// tables an earlier attempt finished. It heartbeats its progress (every
// table committed, every chunk of rows streamed), and a ticker covers the
// statements with nothing to report (a merge's INSERT) until the copy's
// deadline.
func (a *Activities) copyStores(ctx context.Context, in contract.StepInput, picks []storePick) (TenantCopyResult, error) {
	var total TenantCopyResult
	if err := a.need("pitr"); err != nil {
		return total, err
	}
	to, err := target(in)
	if err != nil {
		return total, err
	}
	var resume copyResume
	lastHeartbeat(ctx, &resume)
	if resume.Done == nil {
		resume.Done = map[string][]string{}
	}
	log := a.log(in)
	var bytes int64 // streamed by the stores done
	for _, p := range picks {
		if len(p.tables) == 0 {
			continue
		}
		clone, live, err := a.storeDSNs(ctx, in, p.store)
		if err != nil {
			return total, err
		}
		if p.dest.Name != "" && p.dest.Name != p.store.Name {
			c, ok := a.d.Description.Cluster(p.dest.Cluster)
			if !ok {
				return total, permanent(ErrInvalidInput, "store %s: cluster %q not described", p.dest.Name, p.dest.Cluster)
			}
			live = LiveDSN(c, p.dest.Database)
		}
		store := p.store.Name
		var mu sync.Mutex
		var storeBytes int64
		cctx, stop := a.keepAlive(ctx, a.d.CopyTimeout, nil)
		res, err := a.d.PITR.CopyTenant(cctx, TenantCopy{
			CloneDSN: clone, LiveDSN: live, Store: p.store, Tables: p.tables,
			SiteID: in.SiteID, AsSiteID: to, Done: resume.Done[store],
			Progress: func(pr TenantProgress) {
				mu.Lock()
				resume.Done[store] = pr.TablesDone
				storeBytes = pr.Bytes
				hb := copyResume{Done: cloneDone(resume.Done), Rows: resume.Rows + pr.Rows, Bytes: bytes + pr.Bytes}
				if pr.Copying != "" {
					hb.Copying = store + "." + pr.Copying
				}
				mu.Unlock()
				a.heartbeat(ctx, hb)
			},
		})
		stop()
		if err != nil {
			return total, fmt.Errorf("copy %s rows of site %s into %s: %w", store, in.SiteID, to, err)
		}
		resume.Rows += res.Rows
		mu.Lock()
		bytes += storeBytes
		mu.Unlock()
		total.Rows += res.Rows
		countRows(ctx, store, res.Rows)
		total.Inserted += res.Inserted
		total.Tables += res.Tables
		log.Info("tenant rows copied", zap.String("store", store), zap.String("as_site", to),
			zap.Int64("rows", res.Rows), zap.Int64("inserted", res.Inserted), zap.Int("tables", res.Tables))
	}
	return total, nil
}

func cloneDone(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// storePick is some tables of one store.
type storePick struct {
	store  platform.Store
	tables []platform.Table
	// dest is the live store the rows go to when it is not store itself
	// (same tables, another shard).
	dest platform.Store
}

// pickKind picks the tables of every store of a kind whose part is in parts
// (all tables when parts is empty).
func (a *Activities) pickKind(kind string, parts ...string) ([]storePick, error) {
	ss := a.d.Description.StoresOfKind(kind)
	if len(ss) == 0 {
		return nil, permanent(ErrInvalidInput, "platform description has no store of kind %q", kind)
	}
	var out []storePick
	for _, s := range ss {
		out = append(out, storePick{store: s, tables: tablesOf(s, func(t platform.Table) bool {
			if len(parts) == 0 {
				return true
			}
			for _, p := range parts {
				if PartOf(s, t) == p {
					return true
				}
			}
			return false
		})})
	}
	return out, nil
}

// copyMessage is the one-line summary of a copy.
func copyMessage(what string, in contract.StepInput, to string, r TenantCopyResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows in %d tables (%d new)", what, r.Rows, r.Tables, r.Inserted)
	if to != in.SiteID {
		fmt.Fprintf(&b, ", remapped %s -> %s", in.SiteID, to)
	}
	return b.String()
}

// copyInput is the common start of the copying actions: it checks the
// dependencies in needs (see need), the site the step writes to (see
// target) and the restore point (see checkPoint), and picks the tables of
// the parts of a kind (see pickKind).
func (a *Activities) copyInput(in contract.StepInput, needs []string, kind string, parts ...string) (to string, picks []storePick, err error) {
	if err := a.need(needs...); err != nil {
		return "", nil, err
	}
	if to, err = target(in); err != nil {
		return "", nil, err
	}
	if _, err := a.checkPoint(in); err != nil {
		return "", nil, err
	}
	if picks, err = a.pickKind(kind, parts...); err != nil {
		return "", nil, err
	}
	return to, picks, nil
}

// restoreKind is the body of the simple copy actions.
func (a *Activities) restoreKind(ctx context.Context, in contract.StepInput, what, kind string, parts ...string) (contract.StepOutput, error) {
	to, picks, err := a.copyInput(in, []string{"description", "pitr"}, kind, parts...)
	if err != nil {
		return contract.StepOutput{}, err
	}
	res, err := a.copyStores(ctx, in, picks)
	if err != nil {
		return contract.StepOutput{}, err
	}
	return contract.StepOutput{Message: copyMessage(what, in, to, res)}, nil
}
