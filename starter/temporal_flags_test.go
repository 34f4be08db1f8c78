package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadIDs(t *testing.T) {
	f := filepath.Join(t.TempDir(), "ids.txt")
	os.WriteFile(f, []byte("# the script's list\nsite-1\n\n  site-2  # trailing comment\nsite-3,site-4\r\n"), 0o644)
	got, err := readIDs(f, []string{"site-5", "site-6 site-7"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"site-1", "site-2", "site-3", "site-4", "site-5", "site-6", "site-7"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	if _, err := readIDs(filepath.Join(t.TempDir(), "missing.txt"), nil); err == nil || !strings.Contains(err.Error(), "--ids-file") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestValidBatchID(t *testing.T) {
	for _, ok := range []string{"incident-42", "demo_1.2", "20221105-073800-a1b2c3"} {
		if !validBatchID(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "a b", "x/y", strings.Repeat("a", 101)} {
		if validBatchID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBar(t *testing.T) {
	if got := bar(1, 4); strings.Count(got, "█") != 10 || strings.Count(got, "·") != 30 {
		t.Fatalf("bar %q", got)
	}
	if got := bar(9, 4); strings.Count(got, "█") != 40 {
		t.Fatalf("overfull bar %q", got)
	}
	if got := bar(0, 0); strings.Count(got, "█") != 0 {
		t.Fatalf("empty bar %q", got)
	}
}
