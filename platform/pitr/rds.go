package pitr

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/hashicorp/go-multierror"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/pg"
)

// RDSCloner clones clusters whose backups are Amazon RDS's own (Backups
// "rds"): a point-in-time restore of the RDS instance
// (RestoreDBInstanceToPointInTime) or of the Aurora cluster
// (RestoreDBClusterToPointInTime, copy-on-write, then CreateDBInstance in it)
// into a new instance whose name is derived from the source and the point
// (RDSCloneName), tagged as a Lazarus clone. All state is in AWS, so a
// retried or restarted call finds and reuses what an earlier one started.
// See docs/aws.md.
type RDSCloner struct {
	clusters map[string]rdsCluster
	Logger   *zap.Logger
	// Poll is the longest wait between two status polls while a clone is
	// being made (default DefaultRDSPoll); the first poll waits Poll/8 and
	// the waits double up to Poll.
	Poll time.Duration
	// CleanupTimeout bounds the deletion of a half-made clone after a
	// cancel (default 2 minutes).
	CleanupTimeout time.Duration
	// Progress, when set, is told every status seen while a clone is being
	// made (an activity heartbeat, a progress line). It must not block.
	Progress func(p RDSProgress)
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// DefaultRDSPoll is the longest wait between two polls of a clone's status:
// a restore takes tens of minutes, and DescribeDB* calls are throttled per
// account.
const DefaultRDSPoll = 30 * time.Second

// RDSProgress is one status seen while a clone is being made.
type RDSProgress struct {
	Clone string `json:"clone"`
	// Resource is "instance <identifier>" or "cluster <identifier>".
	Resource string        `json:"resource"`
	Status   string        `json:"status"`
	Waited   time.Duration `json:"waited"`
}

// rdsCluster is one described cluster backed up by RDS, with its client.
type rdsCluster struct {
	platform.Cluster
	rds platform.RDS
	api *rds.Client
	aws aws.Config
}

// aurora reports whether the source is an Aurora cluster.
func (c rdsCluster) aurora() bool { return c.rds.ClusterIdentifier != "" }

// source is the identifier of the instance or Aurora cluster cloned.
func (c rdsCluster) source() string {
	if c.aurora() {
		return c.rds.ClusterIdentifier
	}
	return c.rds.InstanceIdentifier
}

// placement is where a clone is made and how it is reached: its subnet
// group, its VPC security groups, IAM authentication (nil: RDS's default).
func (c rdsCluster) placement() (subnetGroup *string, securityGroups []string, iamAuth *bool) {
	if c.rds.SubnetGroup != "" {
		subnetGroup = aws.String(c.rds.SubnetGroup)
	}
	if c.rds.IAMAuth {
		iamAuth = aws.Bool(true)
	}
	return subnetGroup, c.rds.SecurityGroups, iamAuth
}

// started reads the error of a call that creates part of a clone: nil is
// started; "already exists" is another call's (a retry, another worker)
// and is reused (false, nil); anything else is the error.
func (r *RDSCloner) started(op string, c rdsCluster, err error, log *zap.Logger) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case rdsAlreadyExists(err):
		log.Info("RDS clone already being made by another call; reusing it", zap.String("op", op))
		return false, nil
	}
	return false, r.rdsFault(op, c, err)
}

// NewRDSCloner returns a cloner for every cluster of the description whose
// backups are "rds". The AWS configuration is the default chain
// (config.LoadDefaultConfig: environment, shared files and profiles, SSO,
// IRSA, the instance's role) in the cluster's region; rds.endpoint replaces
// the API's address (tests). A description with a bad rds section is
// refused with every problem listed, before anything is called.
func NewRDSCloner(ctx context.Context, desc *platform.Description, logger *zap.Logger) (*RDSCloner, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	r := &RDSCloner{clusters: map[string]rdsCluster{}, Logger: logger}
	if err := validateRDS(desc); err != nil {
		return nil, err
	}
	configs := map[string]aws.Config{}
	for _, c := range desc.Clusters {
		if c.BackupKind() != platform.BackupsRDS {
			continue
		}
		cfg, ok := configs[c.RDS.Region]
		if !ok {
			var err error
			cfg, err = config.LoadDefaultConfig(ctx, config.WithRegion(c.RDS.Region))
			if err != nil {
				return nil, fmt.Errorf("cluster %s: AWS configuration for region %s: %w", c.Name, c.RDS.Region, err)
			}
			configs[c.RDS.Region] = cfg
		}
		endpoint := c.RDS.Endpoint
		api := rds.NewFromConfig(cfg, func(o *rds.Options) {
			if endpoint != "" {
				o.BaseEndpoint = aws.String(endpoint)
			}
		})
		r.clusters[c.Name] = rdsCluster{Cluster: c, rds: *c.RDS, api: api, aws: cfg}
	}
	return r, nil
}

// validateRDS lists every problem of the rds sections, one line each.
func validateRDS(desc *platform.Description) error {
	var errs *multierror.Error
	bad := func(c platform.Cluster, format string, args ...any) {
		errs = multierror.Append(errs, fmt.Errorf("cluster %q: %s", c.Name, fmt.Sprintf(format, args...)))
	}
	for _, c := range desc.Clusters {
		if c.BackupKind() != platform.BackupsRDS {
			continue
		}
		if c.RDS == nil {
			bad(c, "backups is %q but the rds section is missing", platform.BackupsRDS)
			continue
		}
		d := c.RDS
		if d.Region == "" {
			bad(c, "rds.region is empty")
		}
		switch {
		case d.ClusterIdentifier == "" && d.InstanceIdentifier == "":
			bad(c, "rds needs cluster_identifier (Aurora) or instance_identifier (RDS); neither is set")
		case d.ClusterIdentifier != "" && d.InstanceIdentifier != "":
			bad(c, "rds sets both cluster_identifier and instance_identifier; set exactly one")
		}
		if d.ClusterIdentifier != "" && d.InstanceClass == "" {
			bad(c, "rds.instance_class is empty: an Aurora clone needs one to create its instance")
		}
		if d.Endpoint != "" {
			if u, err := url.Parse(d.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(c, "rds.endpoint %q is not an http(s) URL", d.Endpoint)
			}
		}
	}
	if errs != nil {
		errs.ErrorFormat = func(list []error) string {
			s := fmt.Sprintf("platform description: %d problem(s) with rds clusters:", len(list))
			for _, e := range list {
				s += "\n  " + e.Error()
			}
			return s
		}
	}
	return errs.ErrorOrNil()
}

func (r *RDSCloner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *RDSCloner) cluster(name string) (rdsCluster, error) {
	c, ok := r.clusters[name]
	if !ok {
		return c, refuse("cluster %q is not a cluster with backups %q in the platform description", name, platform.BackupsRDS)
	}
	return c, nil
}

// Clusters lists the clusters this cloner clones, sorted.
func (r *RDSCloner) Clusters() []string {
	out := make([]string, 0, len(r.clusters))
	for name := range r.clusters {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// restorePoint is the time RDS is asked to restore to for t: RDS restores
// to the second, so t is truncated down (never a commit after t).
func restorePoint(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Clone makes (or finds) the clone of cluster at t and waits until it is
// available. A clone already made or being made for the same (cluster, t)
// is reused; t outside the restorable window is refused before anything is
// created. If ctx is cancelled while waiting, what was made is deleted; if
// its deadline passes, it is left for the retry to reuse.
func (r *RDSCloner) Clone(ctx context.Context, cluster string, t time.Time) (Clone, error) {
	cl, err := r.clone(ctx, cluster, t)
	return cl, surface(err)
}

func (r *RDSCloner) clone(ctx context.Context, cluster string, t time.Time) (Clone, error) {
	c, err := r.cluster(cluster)
	if err != nil {
		return Clone{}, err
	}
	if t.IsZero() {
		return Clone{}, refuse("clone of %s: the point in time is empty", cluster)
	}
	t = t.UTC().Truncate(time.Microsecond)
	id := CloneID(cluster, t)
	name := RDSCloneName(c.source(), t)
	log := r.Logger.With(zap.String("cluster", cluster), zap.String("clone", id),
		zap.String("rds_identifier", name), zap.Time("target", t))
	began := r.now()
	created, err := r.start(ctx, c, id, name, t, log)
	var inst types.DBInstance
	if err == nil {
		inst, err = r.waitReady(ctx, c, id, name)
	}
	if err != nil {
		return Clone{}, r.afterFailure(ctx, c, id, name, err, log)
	}
	cl := Clone{ID: id, Cluster: cluster, T: t, User: userOf(c.Cluster), Ready: r.now().UTC(), Conn: pg.ConnOptionsOf(c.Cluster)}
	if inst.Endpoint != nil {
		cl.Host = aws.ToString(inst.Endpoint.Address)
		cl.Port = int(aws.ToInt32(inst.Endpoint.Port))
	}
	if cl.Host == "" || cl.Port == 0 {
		return Clone{}, fmt.Errorf("clone %s: RDS instance %s is available but has no endpoint", id, name)
	}
	if created {
		cl.Seconds = r.now().Sub(began).Seconds()
	}
	log.Info("RDS clone ready", zap.String("host", cl.Host), zap.Int("port", cl.Port),
		zap.Bool("reused", !created), zap.Float64("seconds", cl.Seconds))
	return cl, nil
}

// start finds the clone's resources or creates them; created is false when
// they already existed (a retry, another worker).
func (r *RDSCloner) start(ctx context.Context, c rdsCluster, id, name string, t time.Time, log *zap.Logger) (bool, error) {
	if c.aurora() {
		return r.startAurora(ctx, c, id, name, t, log)
	}
	return r.startInstance(ctx, c, id, name, t, log)
}

// checkWindow refuses t when RDS cannot restore to it now.
func (r *RDSCloner) checkWindow(ctx context.Context, c rdsCluster, t time.Time) error {
	w, err := r.Window(ctx, c.Name)
	if err != nil {
		return err
	}
	p := restorePoint(t)
	if p.Before(w.Earliest) || p.After(w.Latest) {
		return refuse("clone of %s at %s: the point is outside the restorable window of RDS %s [%s, %s] (the latest restorable point trails the live database by about 5 minutes)",
			c.Name, t.Format(time.RFC3339Nano), c.source(), w.Earliest.Format(time.RFC3339), w.Latest.Format(time.RFC3339))
	}
	return nil
}

// afterFailure explains a clone that could not be made. A cancelled call
// deletes what was made (the batch gave up on it); a clone that ended in a
// failed status is deleted and refused; a call whose deadline passed leaves
// the clone for its retry to reuse (a restore takes longer than one
// attempt may).
func (r *RDSCloner) afterFailure(ctx context.Context, c rdsCluster, id, name string, err error, log *zap.Logger) error {
	var failed *rdsFailedStatus
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		if derr := r.cleanup(ctx, c, id); derr != nil {
			log.Error("cancelled; could not delete the half-made RDS clone", zap.Error(derr))
			return fmt.Errorf("clone %s cancelled while RDS %s was being made; deleting it failed (see docs/aws.md, leftovers): %v: %w", id, name, derr, err)
		}
		log.Info("cancelled; half-made RDS clone deleted")
		return fmt.Errorf("clone %s cancelled while RDS %s was being made; it was deleted: %w", id, name, err)
	case errors.As(err, &failed):
		if derr := r.cleanup(ctx, c, id); derr != nil {
			log.Error("could not delete the failed RDS clone", zap.Error(derr))
		}
		return refuse("clone %s: RDS %s %s ended in status %q instead of available; it was deleted. %s",
			id, failed.kind, name, failed.status, failed.hint(c))
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		log.Warn("deadline passed while the RDS clone was being made; left for the retry to reuse", zap.Error(err))
		return fmt.Errorf("clone %s: RDS %s not available before the deadline (it is left for the retry to reuse): %w", id, name, err)
	}
	return fmt.Errorf("clone %s (RDS %s): %w", id, name, err)
}

// cleanup tears the clone down with a fresh, short context: the caller's
// may be cancelled already.
func (r *RDSCloner) cleanup(ctx context.Context, c rdsCluster, id string) error {
	timeout := r.CleanupTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	return r.teardown(cctx, c, id)
}

// Window is what RDS can restore now: for an instance, the earliest time of
// its automated backups (DescribeDBInstanceAutomatedBackups) to its
// LatestRestorableTime; for an Aurora cluster, its EarliestRestorableTime
// to its LatestRestorableTime.
func (r *RDSCloner) Window(ctx context.Context, cluster string) (Window, error) {
	c, err := r.cluster(cluster)
	if err != nil {
		return Window{}, err
	}
	var w Window
	if c.aurora() {
		w, err = r.clusterWindow(ctx, c)
	} else {
		w, err = r.instanceWindow(ctx, c)
	}
	return w, surface(err)
}

// Teardown deletes the clone (its instance, and for Aurora its cluster).
// A clone already gone is not an error; a resource of that name that is
// not tagged as this Lazarus clone is refused, never deleted.
func (r *RDSCloner) Teardown(ctx context.Context, id string) error {
	cluster, _, err := ParseCloneID(id)
	if err != nil {
		return refuse("teardown: %v", err)
	}
	c, err := r.cluster(cluster)
	if err != nil {
		return err
	}
	if err := r.teardown(ctx, c, id); err != nil {
		return surface(fmt.Errorf("teardown clone %s: %w", id, err))
	}
	return nil
}

func (r *RDSCloner) teardown(ctx context.Context, c rdsCluster, id string) error {
	_, t, err := ParseCloneID(id)
	if err != nil {
		return refuse("teardown: %v", err)
	}
	name := RDSCloneName(c.source(), t)
	if err := r.deleteInstance(ctx, c, id, name); err != nil {
		return err
	}
	if c.aurora() {
		if err := r.deleteCluster(ctx, c, id, name); err != nil {
			return err
		}
	}
	r.Logger.Info("RDS clone deleted", zap.String("cluster", c.Name), zap.String("clone", id), zap.String("rds_identifier", name))
	return nil
}
