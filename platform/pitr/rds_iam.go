package pitr

import (
	"context"
	"fmt"
	"net"
	"strconv"

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
