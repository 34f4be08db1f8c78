package sandbox

import (
	"strings"
	"testing"

	"github.com/lazarus-dr/lazarus/platform"
)

func TestResolveBackups(t *testing.T) {
	st := &State{}
	if err := resolveBackups(st, platform.BackupsPGBackRest, true); err != nil || st.Backups != platform.BackupsPGBackRest {
		t.Fatalf("fresh pgbackrest: %v, %q", err, st.Backups)
	}
	if err := resolveBackups(st, "", false); err != nil || st.Backups != platform.BackupsPGBackRest {
		t.Fatalf("resumed without asking: %v, %q; want the recorded kind kept", err, st.Backups)
	}
	if err := resolveBackups(st, platform.BackupsLocal, false); err == nil || !strings.Contains(err.Error(), "backed up by pgbackrest") {
		t.Fatalf("resumed asking another kind: %v", err)
	}
	old := &State{}
	if err := resolveBackups(old, platform.BackupsLocal, false); err != nil {
		t.Fatalf("a state from before backup kinds is local: %v", err)
	}
	if err := resolveBackups(&State{}, "barman", true); err == nil || !strings.Contains(err.Error(), `--backups "barman"`) {
		t.Fatalf("unknown kind: %v", err)
	}
}
