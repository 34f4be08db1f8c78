package suggest

import "testing"

func TestNearest(t *testing.T) {
	known := []string{"wal_archive", "backup_dir", "scratch_dir", "identity.sync"}
	cases := map[string]string{
		"wal_archve":    "wal_archive",
		"identity.synk": "identity.sync",
		"backupdir":     "backup_dir",
		"zzzzzzzz":      "",
		"wal_archive":   "", // not a misspelling
	}
	for got, want := range cases {
		if n := Nearest(got, known); n != want {
			t.Errorf("Nearest(%q) = %q, want %q", got, n, want)
		}
	}
	if s := DidYouMean("wal_archve", known); s != ` (did you mean "wal_archive"?)` {
		t.Errorf("DidYouMean: %q", s)
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance(kitten, sitting) = %d", d)
	}
}
