package pg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDSN(t *testing.T) {
	if got, want := DSN("127.0.0.1", 5433, "", "shard 1"), "postgres://postgres@127.0.0.1:5433/shard%201?sslmode=disable"; got != want {
		t.Errorf("DSN = %s, want %s", got, want)
	}
	if got := DSN("/tmp/sock dir", 5433, "u", "db"); !strings.Contains(got, "host=%2Ftmp%2Fsock+dir") || !strings.Contains(got, "port=5433") {
		t.Errorf("socket DSN = %s", got)
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("it's"); got != "'it''s'" {
		t.Errorf("Quote = %s", got)
	}
}

// The archive command never overwrites a segment and lands it atomically;
// run it through /bin/sh as PostgreSQL does, with a path needing quotes.
func TestArchiveCommandIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "arch ive's")
	if err := os.Mkdir(archive, 0o755); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, "seg")
	run := func(content string) {
		t.Helper()
		if err := os.WriteFile(seg, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := strings.NewReplacer("%p", seg, "%f", "000000010000000000000001").Replace(ArchiveCommand(archive))
		if out, err := exec.Command("/bin/sh", "-c", cmd).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", cmd, err, out)
		}
	}
	run("first")
	run("second")
	got, err := os.ReadFile(filepath.Join(archive, "000000010000000000000001"))
	if err != nil || string(got) != "first" {
		t.Fatalf("archived %q, %v; want the first copy kept", got, err)
	}
	entries, _ := os.ReadDir(archive)
	if len(entries) != 1 {
		t.Fatalf("archive holds %d files", len(entries))
	}
	restore := strings.NewReplacer("%p", filepath.Join(dir, "back"), "%f", "000000010000000000000001").Replace(RestoreCommand(archive))
	if out, err := exec.Command("/bin/sh", "-c", restore).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v %s", restore, err, out)
	}
}

func TestSettingsHonourExtraConfAndArchive(t *testing.T) {
	c := &Cluster{cfg: ClusterConfig{Port: 5999, SocketDir: "/s", WALArchive: "/a", ExtraConf: map[string]string{"max_connections": "300", "fsync": "on"}}}
	s := c.Settings()
	if s["archive_mode"] != "on" || s["max_connections"] != "300" || s["fsync"] != "on" || s["listen_addresses"] != "127.0.0.1" || s["port"] != "5999" {
		t.Fatalf("settings %v", s)
	}
	c.cfg.WALArchive = ""
	if c.Settings()["archive_mode"] != "off" {
		t.Fatal("archive_mode on without an archive")
	}
}
