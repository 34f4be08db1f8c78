package pitr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"go.uber.org/zap"
)

// rdsPollErrors is how many transient errors in a row (throttling, a 5xx,
// the network) a wait tolerates before giving up to its caller's retry.
const rdsPollErrors = 5

// errRDSGone is a clone's resource that vanished while it was being made:
// polling on cannot bring it back; the caller's retry makes it again.
var errRDSGone = errors.New("deleted while being made (by someone else?)")

// rdsFailedStatuses are the statuses a clone being made never leaves by
// itself (RDS's DB instance and cluster statuses).
var rdsFailedStatuses = map[string]string{
	"failed":                                          "",
	"restore-error":                                   "",
	"incompatible-restore":                            "",
	"incompatible-network":                            "check rds.subnet_group and rds.security_groups.",
	"incompatible-parameters":                         "the source's parameter group does not fit rds.instance_class.",
	"incompatible-option-group":                       "the source's option group does not fit the clone.",
	"incompatible-credentials":                        "",
	"inaccessible-encryption-credentials":             "the source's KMS key is not usable by this account.",
	"inaccessible-encryption-credentials-recoverable": "the source's KMS key is not usable by this account.",
	"insufficient-capacity":                           "AWS has no capacity for rds.instance_class in that zone now.",
	"storage-full":                                    "",
}

// rdsFailedStatus is a clone that ended in a failed status.
type rdsFailedStatus struct {
	kind, status string
}

func (e *rdsFailedStatus) Error() string {
	return fmt.Sprintf("RDS %s is %s", e.kind, e.status)
}

// hint says what to check.
func (e *rdsFailedStatus) hint(c rdsCluster) string {
	if h := rdsFailedStatuses[e.status]; h != "" {
		return h
	}
	return fmt.Sprintf("See the RDS events of %s for why.", c.source())
}

// waitReady waits until the clone's instance is available.
func (r *RDSCloner) waitReady(ctx context.Context, c rdsCluster, id, name string) (types.DBInstance, error) {
	var inst types.DBInstance
	err := r.poll(ctx, id, "instance", name, func(ctx context.Context) (string, error) {
		i, found, err := r.describeInstance(ctx, c, name)
		if err != nil {
			return "", err
		}
		if !found {
			return "", fmt.Errorf("RDS instance %s: %w", name, errRDSGone)
		}
		if !ownedBy(i.TagList, id) {
			return "", notOurs("instance", name, id)
		}
		inst = i
		return aws.ToString(i.DBInstanceStatus), nil
	})
	return inst, err
}

// waitCluster waits until the clone's Aurora cluster is available.
func (r *RDSCloner) waitCluster(ctx context.Context, c rdsCluster, id, name string) (types.DBCluster, error) {
	var cl types.DBCluster
	err := r.poll(ctx, id, "cluster", name, func(ctx context.Context) (string, error) {
		got, found, err := r.describeCluster(ctx, c, name)
		if err != nil {
			return "", err
		}
		if !found {
			return "", fmt.Errorf("Aurora cluster %s: %w", name, errRDSGone)
		}
		if !ownedBy(got.TagList, id) {
			return "", notOurs("cluster", name, id)
		}
		cl = got
		return aws.ToString(got.Status), nil
	})
	return cl, err
}

// poll calls status until it says "available", a failed status, or ctx
// ends. The waits start at Poll/8 and double up to Poll; each status seen
// goes to Progress and, when it changes, to the log. A refusal or a
// resource gone ends the wait at once; other errors end it after
// rdsPollErrors in a row.
func (r *RDSCloner) poll(ctx context.Context, id, kind, name string, status func(context.Context) (string, error)) error {
	limit := r.Poll
	if limit <= 0 {
		limit = DefaultRDSPoll
	}
	delay := max(limit/8, time.Millisecond)
	began := r.now()
	last, errs := "", 0
	for {
		s, err := status(ctx)
		switch {
		case err != nil && (IsRefused(err) || errors.Is(err, errRDSGone) || ctx.Err() != nil):
			return err
		case err != nil:
			errs++
			if errs >= rdsPollErrors {
				return fmt.Errorf("waiting for RDS %s %s: %d errors in a row: %w", kind, name, errs, err)
			}
			r.Logger.Warn("RDS status poll failed; polling on", zap.String("clone", id), zap.Error(err))
		default:
			errs = 0
			r.report(RDSProgress{Clone: id, Resource: kind + " " + name, Status: s, Waited: r.now().Sub(began)}, s != last)
			last = s
			if s == "available" {
				return nil
			}
			if _, failed := rdsFailedStatuses[s]; failed {
				return &rdsFailedStatus{kind: kind, status: s}
			}
			if s == "deleting" {
				return fmt.Errorf("RDS %s %s is being deleted (a teardown raced this clone); a retry makes it again", kind, name)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for RDS %s %s (status %q after %s): %w", kind, name, last, r.now().Sub(began).Round(time.Second), ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, limit)
	}
}

// report passes a status to Progress, and to the log when it changed.
func (r *RDSCloner) report(p RDSProgress, changed bool) {
	if r.Progress != nil {
		r.Progress(p)
	}
	if changed {
		r.Logger.Info("RDS clone status", zap.String("clone", p.Clone), zap.String("resource", p.Resource),
			zap.String("status", p.Status), zap.Duration("waited", p.Waited))
	}
}
