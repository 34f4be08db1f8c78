package pitr

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/platform"
)

// kindFake records the calls a ByKind routes to it.
type kindFake struct{ calls []string }

func (f *kindFake) Clone(_ context.Context, cluster string, t time.Time) (Clone, error) {
	f.calls = append(f.calls, "clone "+cluster)
	return Clone{ID: CloneID(cluster, t), Cluster: cluster}, nil
}

func (f *kindFake) Teardown(_ context.Context, id string) error {
	f.calls = append(f.calls, "teardown "+id)
	return nil
}

func (f *kindFake) Window(_ context.Context, cluster string) (Window, error) {
	f.calls = append(f.calls, "window "+cluster)
	return Window{}, nil
}

func TestByKindRoutesEachClusterToItsKind(t *testing.T) {
	ctx := context.Background()
	desc := &platform.Description{Clusters: []platform.Cluster{
		{Name: "platform"},
		{Name: "products", Backups: platform.BackupsPGBackRest, PGBackRest: &platform.PGBackRest{Stanza: "products", Config: "/c"}},
		{Name: "billing", Backups: platform.BackupsRDS},
	}}
	b := NewByKind(desc, nil)
	if _, ok := b.Cloner(platform.BackupsLocal).(*LocalCloner); !ok {
		t.Fatalf("local cloner is %T", b.Cloner(platform.BackupsLocal))
	}
	if _, ok := b.Cloner(platform.BackupsPGBackRest).(*PGBackRestCloner); !ok {
		t.Fatalf("pgbackrest cloner is %T", b.Cloner(platform.BackupsPGBackRest))
	}
	if _, err := b.Window(ctx, "billing"); !IsRefused(err) || !strings.Contains(err.Error(), "no cloner for rds") {
		t.Fatalf("an RDS cluster without an RDS cloner: %v", err)
	}
	if _, err := b.Clone(ctx, "nope", time.Now()); !IsRefused(err) {
		t.Fatalf("an unknown cluster: %v", err)
	}
	local, br := &kindFake{}, &kindFake{}
	b.Set(platform.BackupsLocal, local)
	b.Set(platform.BackupsPGBackRest, br)
	at := time.Unix(1796006820, 0)
	if _, err := b.Clone(ctx, "products", at); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Window(ctx, "platform"); err != nil {
		t.Fatal(err)
	}
	if err := b.Teardown(ctx, CloneID("products", at)); err != nil {
		t.Fatal(err)
	}
	if err := b.Teardown(ctx, "not-an-id"); !IsRefused(err) {
		t.Fatalf("a bad clone ID: %v", err)
	}
	if got := strings.Join(local.calls, ","); got != "window platform" {
		t.Errorf("local cloner got %q", got)
	}
	if got := strings.Join(br.calls, ","); got != "clone products,teardown "+CloneID("products", at) {
		t.Errorf("pgbackrest cloner got %q", got)
	}
	if _, err := b.Clones("products"); err == nil {
		t.Error("Clones through a cloner that cannot list: no error")
	}
}

func TestClonersRefuseClustersOfAnotherKind(t *testing.T) {
	ctx := context.Background()
	desc := &platform.Description{Clusters: []platform.Cluster{
		{Name: "platform", BackupDir: "/b", WALArchive: "/w", ScratchDir: "/s", PGBin: "/p"},
		{Name: "products", Backups: platform.BackupsPGBackRest, ScratchDir: "/s", PGBin: "/p"},
	}}
	if _, err := NewPGBackRestCloner(desc, nil).Window(ctx, "platform"); !IsRefused(err) || !strings.Contains(err.Error(), "its backups are local, not pgbackrest") {
		t.Fatalf("pgBackRest cloner on a local cluster: %v", err)
	}
	_, err := NewPGBackRestCloner(desc, nil).Window(ctx, "products")
	if !IsRefused(err) || !strings.Contains(err.Error(), "pgbackrest section (stanza, config) is missing") {
		t.Fatalf("pgBackRest cloner without its section: %v", err)
	}
	if _, err := NewLocalCloner(desc, nil).Window(ctx, "products"); !IsRefused(err) || !strings.Contains(err.Error(), "its backups are pgbackrest, not local") {
		t.Fatalf("local cloner on a pgBackRest cluster: %v", err)
	}
}
