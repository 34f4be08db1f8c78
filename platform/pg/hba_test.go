package pg

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

const initdbHBA = `# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
host    all             all             10.0.0.0/8              md5
`

// Password authentication turns initdb's host lines to scram-sha-256 and
// leaves the socket, replication and foreign lines; turning it off brings
// trust back; both are idempotent.
func TestWriteHostAuth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pg_hba.conf")
	writeFile(t, path, initdbHBA)
	if err := writeHostAuth(path, AuthSCRAM); err != nil {
		t.Fatal(err)
	}
	want := `# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             all                                     trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
host    all             all             10.0.0.0/8              md5
`
	for i := 0; i < 2; i++ {
		if err := writeHostAuth(path, AuthSCRAM); err != nil {
			t.Fatal(err)
		}
		if raw, _ := os.ReadFile(path); string(raw) != want {
			t.Fatalf("pass %d:\n%s\nwant\n%s", i, raw, want)
		}
	}
	if err := writeHostAuth(path, ""); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if string(raw) == want || string(raw) == initdbHBA {
		t.Fatalf("trust not restored (or spacing kept):\n%s", raw)
	}
	if err := writeHostAuth(path, "password"); err == nil {
		t.Error("method password accepted")
	}
	if err := writeHostAuth(filepath.Join(t.TempDir(), "none"), AuthSCRAM); err != nil {
		t.Errorf("a missing file: %v", err)
	}
}
