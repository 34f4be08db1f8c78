package pitr

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/lazarus-dr/lazarus/platform/pg"
)

// Clones lists the clones of cluster that exist in AWS now, whatever their
// status: every instance tagged TagRDSCluster=cluster with a clone ID in
// TagRDSClone. It finds what a batch left behind (a clone whose db.clone
// step failed after its deadline, so that no db.drop_clone knows it);
// Teardown removes each by its ID.
func (r *RDSCloner) Clones(ctx context.Context, cluster string) ([]Clone, error) {
	c, err := r.cluster(cluster)
	if err != nil {
		return nil, err
	}
	var out []Clone
	pages := rds.NewDescribeDBInstancesPaginator(c.api, &rds.DescribeDBInstancesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, surface(r.rdsFault("DescribeDBInstances", c, err))
		}
		for _, inst := range page.DBInstances {
			id := tagValue(inst.TagList, TagRDSClone)
			if tagValue(inst.TagList, TagRDSCluster) != cluster || id == "" {
				continue
			}
			idCluster, t, err := ParseCloneID(id)
			if err != nil || idCluster != cluster {
				continue
			}
			cl := Clone{ID: id, Cluster: cluster, T: t, User: userOf(c.Cluster), Conn: pg.ConnOptionsOf(c.Cluster)}
			if inst.Endpoint != nil {
				cl.Host = aws.ToString(inst.Endpoint.Address)
				cl.Port = int(aws.ToInt32(inst.Endpoint.Port))
			}
			out = append(out, cl)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
