package traffic

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

func TestValidateListsEveryProblem(t *testing.T) {
	_, err := Run(context.Background(), Config{Rate: -1, MaxWrites: -2})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"CatalogDSN is empty", "SandboxDSN is empty", "no product shards", "rate -1", "duration 0s", "max writes -2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestFromDescription(t *testing.T) {
	d := &platform.Description{
		Clusters: []platform.Cluster{{Name: "platform", Host: "127.0.0.1", Port: 5501, User: "postgres"}, {Name: "products", Host: "/tmp/sock", Port: 5502}},
		Stores: []platform.Store{
			{Name: "catalog", Cluster: "platform", Database: "catalog", Kind: "catalog"},
			{Name: "identity", Cluster: "platform", Database: "catalog", Kind: "identity"},
			{Name: "shard_1", Cluster: "products", Database: "shard_1", Kind: "product"},
			{Name: "shard_2", Cluster: "products", Database: "shard_2", Kind: "product"},
		},
	}
	c, err := FromDescription(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.CatalogDSN, "127.0.0.1:5501/catalog") || !strings.Contains(c.SandboxDSN, "127.0.0.1:5501/sandbox") ||
		len(c.Shards) != 2 || !strings.Contains(c.Shards["shard_2"], "host=%2Ftmp%2Fsock") {
		t.Fatalf("%+v", c)
	}
	c.Rate, c.Duration = 5, time.Second
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := FromDescription(&platform.Description{}); err == nil {
		t.Fatal("no catalog store must be an error")
	}
}
