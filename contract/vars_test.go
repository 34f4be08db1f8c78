package contract

import (
	"strings"
	"testing"
	"time"
)

func TestRestorePointRoundTrip(t *testing.T) {
	want := time.Date(2022, 4, 5, 7, 33, 0, 400_000_000, time.FixedZone("x", 3600))
	v := Vars{VarRestorePoint: FormatRestorePoint(want)}
	got, ok, err := v.RestorePoint()
	if err != nil || !ok || !got.Equal(want) {
		t.Fatalf("RestorePoint() = %v, %v, %v; want %v", got, ok, err, want)
	}
	if _, ok, err := (Vars{}).RestorePoint(); ok || err != nil {
		t.Fatalf("unset: ok=%v err=%v, want false, nil", ok, err)
	}
	_, ok, err = Vars{VarRestorePoint: "yesterday"}.RestorePoint()
	if !ok || err == nil || !strings.Contains(err.Error(), `"yesterday"`) {
		t.Fatalf("bad value: ok=%v err=%v, want an error naming the value", ok, err)
	}
}

func TestCloneIDs(t *testing.T) {
	ids := []string{"c1", "c2"}
	v := Vars{VarCloneIDs: JoinCloneIDs(ids)}
	if got := v.CloneIDs(); len(got) != 2 || got[0] != "c1" || got[1] != "c2" {
		t.Fatalf("CloneIDs() = %v", got)
	}
	if got := (Vars{}).CloneIDs(); got != nil {
		t.Fatalf("unset CloneIDs() = %v, want nil", got)
	}
	if CloneDSNVar("products") != "clone.products.dsn" || CloneIDVar("products") != "clone.products.id" {
		t.Fatal("clone var names changed: recorded histories and running batches carry them")
	}
	if StoreVar("jira") != "store.jira" || MediaKeysVar("-") != "media.-.keys" || SearchDocsVar("jira") != "search.jira.docs" {
		t.Fatal("per-product var names changed: recorded histories and running batches carry them")
	}
}
