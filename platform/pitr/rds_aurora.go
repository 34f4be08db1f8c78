package pitr

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"go.uber.org/zap"
)

// Aurora: RestoreDBClusterToPointInTime (copy-on-write: the clone shares
// the source's storage until either writes) makes a cluster with no
// instance; CreateDBInstance, once that cluster is available, gives it one
// to connect to. Both carry the clone's name and tags.

// startAurora reuses or makes the clone's cluster, then its instance.
// created is false when both already existed.
func (r *RDSCloner) startAurora(ctx context.Context, c rdsCluster, id, name string, t time.Time, log *zap.Logger) (bool, error) {
	created := false
	cl, found, err := r.describeCluster(ctx, c, name)
	if err != nil {
		return false, err
	}
	if found && !ownedBy(cl.TagList, id) {
		return false, notOurs("cluster", name, id)
	}
	if !found {
		if err := r.checkWindow(ctx, c, t); err != nil {
			return false, err
		}
		if created, err = r.restoreCluster(ctx, c, id, name, t, log); err != nil {
			return false, err
		}
	}
	inst, found, err := r.describeInstance(ctx, c, name)
	if err != nil {
		return created, err
	}
	if found {
		if !ownedBy(inst.TagList, id) {
			return created, notOurs("instance", name, id)
		}
		log.Info("reusing Aurora clone", zap.String("status", aws.ToString(inst.DBInstanceStatus)))
		return created, nil
	}
	cl, err = r.waitCluster(ctx, c, id, name)
	if err != nil {
		return created, err
	}
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(name),
		DBClusterIdentifier:  aws.String(name),
		DBInstanceClass:      aws.String(c.rds.InstanceClass),
		Engine:               cl.Engine,
		Tags:                 rdsTags(c, id, t),
		PubliclyAccessible:   aws.Bool(false),
	}
	_, err = c.api.CreateDBInstance(ctx, in)
	if started, err := r.started("CreateDBInstance", c, err, log); !started {
		return created, err
	}
	log.Info("Aurora clone's instance being created", zap.String("engine", aws.ToString(cl.Engine)))
	return true, nil
}

// restoreCluster starts the copy-on-write restore of the source cluster.
func (r *RDSCloner) restoreCluster(ctx context.Context, c rdsCluster, id, name string, t time.Time, log *zap.Logger) (bool, error) {
	in := &rds.RestoreDBClusterToPointInTimeInput{
		DBClusterIdentifier:       aws.String(name),
		SourceDBClusterIdentifier: aws.String(c.source()),
		RestoreToTime:             aws.Time(restorePoint(t)),
		RestoreType:               aws.String("copy-on-write"),
		Tags:                      rdsTags(c, id, t),
		DeletionProtection:        aws.Bool(false),
	}
	in.DBSubnetGroupName, in.VpcSecurityGroupIds, in.EnableIAMDatabaseAuthentication = c.placement()
	_, err := c.api.RestoreDBClusterToPointInTime(ctx, in)
	if started, err := r.started("RestoreDBClusterToPointInTime", c, err, log); !started {
		return false, err
	}
	log.Info("Aurora point-in-time restore started", zap.String("source", c.source()), zap.Time("restore_time", restorePoint(t)))
	return true, nil
}

// describeCluster finds Aurora cluster name; found is false when it does
// not exist.
func (r *RDSCloner) describeCluster(ctx context.Context, c rdsCluster, name string) (types.DBCluster, bool, error) {
	out, err := c.api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(name)})
	if err != nil {
		if rdsNotFound(err) {
			return types.DBCluster{}, false, nil
		}
		return types.DBCluster{}, false, r.rdsFault("DescribeDBClusters", c, err)
	}
	if len(out.DBClusters) == 0 {
		return types.DBCluster{}, false, nil
	}
	return out.DBClusters[0], true, nil
}

// clusterWindow is the source cluster's [EarliestRestorableTime,
// LatestRestorableTime].
func (r *RDSCloner) clusterWindow(ctx context.Context, c rdsCluster) (Window, error) {
	out, err := c.api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(c.source())})
	if err != nil {
		return Window{}, r.rdsFault("DescribeDBClusters", c, err)
	}
	if len(out.DBClusters) == 0 || out.DBClusters[0].EarliestRestorableTime == nil || out.DBClusters[0].LatestRestorableTime == nil {
		return Window{}, refuse("Aurora cluster %s of cluster %s has no restorable window: are its backups on?", c.source(), c.Name)
	}
	src := out.DBClusters[0]
	return Window{Earliest: src.EarliestRestorableTime.UTC(), Latest: src.LatestRestorableTime.UTC()}, nil
}

// deleteCluster deletes the clone's Aurora cluster if it exists and is
// ours. Its instance must be deleting or gone (deleteInstance first).
func (r *RDSCloner) deleteCluster(ctx context.Context, c rdsCluster, id, name string) error {
	cl, found, err := r.describeCluster(ctx, c, name)
	if err != nil || !found {
		return err
	}
	if !ownedBy(cl.TagList, id) {
		return notOurs("cluster", name, id)
	}
	if aws.ToString(cl.Status) == "deleting" {
		return nil
	}
	_, err = c.api.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{
		DBClusterIdentifier:    aws.String(name),
		SkipFinalSnapshot:      aws.Bool(true),
		DeleteAutomatedBackups: aws.Bool(true),
	})
	if err != nil && !rdsNotFound(err) {
		return r.rdsFault("DeleteDBCluster", c, err)
	}
	return nil
}
