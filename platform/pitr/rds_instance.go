package pitr

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"go.uber.org/zap"
)

// RDS instances (not Aurora): RestoreDBInstanceToPointInTime makes the
// clone's instance directly.

// startInstance reuses the clone's instance if it exists, else checks the
// window and starts the restore. created is false on reuse.
func (r *RDSCloner) startInstance(ctx context.Context, c rdsCluster, id, name string, t time.Time, log *zap.Logger) (bool, error) {
	inst, found, err := r.describeInstance(ctx, c, name)
	if err != nil {
		return false, err
	}
	if found {
		if !ownedBy(inst.TagList, id) {
			return false, notOurs("instance", name, id)
		}
		log.Info("reusing RDS clone", zap.String("status", aws.ToString(inst.DBInstanceStatus)))
		return false, nil
	}
	if err := r.checkWindow(ctx, c, t); err != nil {
		return false, err
	}
	in := &rds.RestoreDBInstanceToPointInTimeInput{
		SourceDBInstanceIdentifier: aws.String(c.source()),
		TargetDBInstanceIdentifier: aws.String(name),
		RestoreTime:                aws.Time(restorePoint(t)),
		Tags:                       rdsTags(c, id, t),
		// A clone lives for one batch: no backups of its own (and so no
		// "backing-up" before it is available), no standby, no
		// protection against its own teardown, no public address.
		BackupRetentionPeriod: aws.Int32(0),
		MultiAZ:               aws.Bool(false),
		DeletionProtection:    aws.Bool(false),
		PubliclyAccessible:    aws.Bool(false),
	}
	if c.rds.InstanceClass != "" {
		in.DBInstanceClass = aws.String(c.rds.InstanceClass)
	}
	in.DBSubnetGroupName, in.VpcSecurityGroupIds, in.EnableIAMDatabaseAuthentication = c.placement()
	_, err = c.api.RestoreDBInstanceToPointInTime(ctx, in)
	if started, err := r.started("RestoreDBInstanceToPointInTime", c, err, log); !started {
		return false, err
	}
	log.Info("RDS point-in-time restore started", zap.String("source", c.source()), zap.Time("restore_time", restorePoint(t)))
	return true, nil
}

// describeInstance finds instance name; found is false when it does not exist.
func (r *RDSCloner) describeInstance(ctx context.Context, c rdsCluster, name string) (types.DBInstance, bool, error) {
	out, err := c.api.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(name)})
	if err != nil {
		if rdsNotFound(err) {
			return types.DBInstance{}, false, nil
		}
		return types.DBInstance{}, false, r.rdsFault("DescribeDBInstances", c, err)
	}
	if len(out.DBInstances) == 0 {
		return types.DBInstance{}, false, nil
	}
	return out.DBInstances[0], true, nil
}

// instanceWindow is [earliest time of the instance's automated backups,
// its LatestRestorableTime].
func (r *RDSCloner) instanceWindow(ctx context.Context, c rdsCluster) (Window, error) {
	out, err := c.api.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(c.source())})
	if err != nil {
		return Window{}, r.rdsFault("DescribeDBInstances", c, err)
	}
	if len(out.DBInstances) == 0 || out.DBInstances[0].LatestRestorableTime == nil {
		return Window{}, refuse("RDS instance %s of cluster %s has no latest restorable time: are its automated backups on?", c.source(), c.Name)
	}
	w := Window{Latest: out.DBInstances[0].LatestRestorableTime.UTC()}
	pages := rds.NewDescribeDBInstanceAutomatedBackupsPaginator(c.api,
		&rds.DescribeDBInstanceAutomatedBackupsInput{DBInstanceIdentifier: aws.String(c.source())})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return Window{}, r.rdsFault("DescribeDBInstanceAutomatedBackups", c, err)
		}
		for _, b := range page.DBInstanceAutomatedBackups {
			if b.RestoreWindow == nil || b.RestoreWindow.EarliestTime == nil {
				continue
			}
			if s := aws.ToString(b.Status); s != "" && s != "active" {
				continue // retained backups of an earlier instance of that name
			}
			if e := b.RestoreWindow.EarliestTime.UTC(); w.Earliest.IsZero() || e.Before(w.Earliest) {
				w.Earliest = e
			}
		}
	}
	if w.Earliest.IsZero() {
		return Window{}, refuse("RDS instance %s of cluster %s has no active automated backup: nothing can be restored", c.source(), c.Name)
	}
	return w, nil
}

// deleteInstance deletes the clone's instance if it exists and is ours.
func (r *RDSCloner) deleteInstance(ctx context.Context, c rdsCluster, id, name string) error {
	inst, found, err := r.describeInstance(ctx, c, name)
	if err != nil || !found {
		return err
	}
	if !ownedBy(inst.TagList, id) {
		return notOurs("instance", name, id)
	}
	if aws.ToString(inst.DBInstanceStatus) == "deleting" {
		return nil
	}
	in := &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(name)}
	if !c.aurora() {
		// An Aurora instance has neither: its storage is its cluster's.
		in.SkipFinalSnapshot = aws.Bool(true)
		in.DeleteAutomatedBackups = aws.Bool(true)
	}
	if _, err := c.api.DeleteDBInstance(ctx, in); err != nil && !rdsNotFound(err) {
		return r.rdsFault("DeleteDBInstance", c, err)
	}
	return nil
}

// notOurs refuses to reuse or delete a resource not tagged as clone id.
func notOurs(kind, name, id string) error {
	return refuse("an RDS %s named %s exists but is not tagged %s=%s: Lazarus neither reuses nor deletes it", kind, name, TagRDSClone, id)
}
