package pitr

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// IAMPassword returns a password for user on host:port of cluster (the live
// instance or one of its clones): an IAM authentication token signed with
// the worker's AWS credentials (the default chain), valid 15 minutes. It is
// made at connect time and never stored: a Clone, its DSN and the workflow
// history carry no password. The connecting code sets it in pgx's
// BeforeConnect (see docs/aws.md):
//
//	cfg.BeforeConnect = func(ctx context.Context, cc *pgconn.ConnConfig) error {
//		pw, err := cloner.IAMPassword(ctx, cluster, cc.Host, int(cc.Port), cc.User)
//		cc.Password = pw
//		return err
//	}
//
// A cluster whose rds.iam_auth is off is refused.
func (r *RDSCloner) IAMPassword(ctx context.Context, cluster, host string, port int, user string) (string, error) {
	c, err := r.cluster(cluster)
	if err != nil {
		return "", err
	}
	if !c.rds.IAMAuth {
		return "", refuse("cluster %s does not use IAM authentication (rds.iam_auth is off): its password comes from the passfile or PGPASSWORD", cluster)
	}
	if host == "" || port <= 0 || user == "" {
		return "", refuse("IAM password for cluster %s: host %q, port %d and user %q must all be set", cluster, host, port, user)
	}
	token, err := auth.BuildAuthToken(ctx, net.JoinHostPort(host, strconv.Itoa(port)), c.rds.Region, user, c.aws.Credentials)
	if err != nil {
		return "", fmt.Errorf("IAM password for cluster %s (user %s at %s:%d): %w", cluster, user, host, port, err)
	}
	return token, nil
}

// Password makes the cloner a pg.PasswordSource: for a server of a cluster
// whose rds.iam_auth is on (its live host, or a clone of it, whose
// endpoint starts with the clone names RDSCloneName gives its source), an
// IAM token made now; ok is false for any other server.
func (r *RDSCloner) Password(ctx context.Context, host string, port int, user string) (string, bool, error) {
	name, ok := r.iamClusterOf(host)
	if !ok {
		return "", false, nil
	}
	pw, err := r.IAMPassword(ctx, name, host, port, user)
	if err != nil {
		return "", false, err
	}
	return pw, true, nil
}

// iamClusterOf is the IAM-authenticated cluster host belongs to.
func (r *RDSCloner) iamClusterOf(host string) (string, bool) {
	host = strings.ToLower(host)
	for _, name := range r.Clusters() {
		c := r.clusters[name]
		if !c.rds.IAMAuth {
			continue
		}
		if host == strings.ToLower(c.Host) || strings.HasPrefix(host, "lz-"+rdsSlug(c.source())+"-") {
			return name, true
		}
	}
	return "", false
}

// UsesIAM says whether any cluster of the cloner connects with IAM tokens.
func (r *RDSCloner) UsesIAM() bool {
	for _, c := range r.clusters {
		if c.rds.IAMAuth {
			return true
		}
	}
	return false
}
