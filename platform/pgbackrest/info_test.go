package pgbackrest

import (
	"strings"
	"testing"
	"time"
)

// infoJSON is `pgbackrest info --output=json` (2.45) trimmed: two stanzas,
// one failed backup, sets out of order.
const infoJSON = `[
 {"name": "other", "backup": [{"label": "x", "type": "full", "error": false, "timestamp": {"start": 1, "stop": 2}}]},
 {"name": "products",
  "archive": [{"id": "15-1", "min": "000000010000000000000006", "max": "00000001000000000000000C"}],
  "backup": [
   {"label": "20261130-024656F_20261130-030000I", "type": "incr", "error": false, "timestamp": {"start": 1796007600, "stop": 1796007604}},
   {"label": "20261130-024656F", "type": "full", "error": false, "timestamp": {"start": 1796006816, "stop": 1796006820}},
   {"label": "bad", "type": "full", "error": true, "timestamp": {"start": 1796006000, "stop": 1796006010}}
  ],
  "status": {"code": 0, "message": "ok"}}
]`

func TestParseInfo(t *testing.T) {
	info, err := ParseInfo([]byte(infoJSON), "products")
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Backups) != 2 || info.Backups[0].Label != "20261130-024656F" || info.Backups[1].Type != "incr" {
		t.Fatalf("backups %+v: want the full then the incr, the failed one left out", info.Backups)
	}
	b := info.Backups[0]
	if !b.Stop.Equal(time.Unix(1796006820, 0)) || b.Restorable.Sub(b.Stop) != time.Second {
		t.Fatalf("stop %s restorable %s: want restorable one second after stop", b.Stop, b.Restorable)
	}
	if info.ArchiveMin != "000000010000000000000006" || info.ArchiveMax != "00000001000000000000000C" || info.Status != "ok" {
		t.Fatalf("info %+v", info)
	}
	if _, err := ParseInfo([]byte(infoJSON), "missing"); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Fatalf("a missing stanza: %v", err)
	}
	down := `[{"archive":[],"backup":[],"name":"products","repo":[{"key":1,"status":{"code":99,"message":"[HostConnectError] unable to connect to 'localhost:29443': [111] Connection refused"}}],"status":{"code":99,"message":"other"}}]`
	if info, err := ParseInfo([]byte(down), "products"); err != nil || !strings.Contains(info.Unreadable, "HostConnectError") {
		t.Fatalf("an unreachable repository: %+v, %v; want it unreadable, with the reason", info, err)
	}
	if info.Unreadable != "" {
		t.Fatalf("a readable repository is unreadable: %q", info.Unreadable)
	}
	if _, err := ParseInfo([]byte("P00 ERROR"), "products"); err == nil {
		t.Fatal("text that is not JSON parsed")
	}
}

func TestConfigRender(t *testing.T) {
	c := Config{S3: &S3{Endpoint: "localhost", Port: 9443, Bucket: "pgbackrest", Region: "us-east-1",
		Key: "ak", Secret: "sk", CAFile: "/s/ca.crt"}, RetentionDays: 30, LogPath: "/s/log",
		Stanzas: []Stanza{{Name: "products", DataDir: "/d/p", Port: 5433, SocketDir: "/d/ps"}, {Name: "platform", DataDir: "/d/a", Port: 5432, SocketDir: "/d/as"}}}
	out := c.Render()
	for _, want := range []string{"repo1-type=s3\n", "repo1-s3-uri-style=path\n", "repo1-storage-ca-file=/s/ca.crt\n",
		"repo1-storage-port=9443\n", "repo1-s3-key-secret=sk\n", "repo1-retention-full-type=time\n", "repo1-retention-full=30\n",
		"repo1-path=/\n", "[platform]\npg1-path=/d/a\npg1-port=5432\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("config lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "[platform]") > strings.Index(out, "[products]") || strings.Contains(out, "lock-path") {
		t.Errorf("stanzas unsorted or empty settings written:\n%s", out)
	}
	posix := Config{Path: "/r"}.Render()
	if !strings.Contains(posix, "repo1-type=posix\nrepo1-path=/r\n") && !strings.Contains(posix, "repo1-path=/r\n") {
		t.Errorf("posix config:\n%s", posix)
	}
}

func TestCommands(t *testing.T) {
	tool := Tool{Bin: "/usr/bin/pgbackrest", Config: "/state dir/pgbackrest.conf", Stanza: "products"}
	if got, want := tool.ArchivePushCommand(), `/usr/bin/pgbackrest --config='/state dir/pgbackrest.conf' --stanza=products archive-push %p`; got != want {
		t.Errorf("archive push: %s\nwant %s", got, want)
	}
	if got, want := tool.ArchiveGetCommand("/x/data"), `/usr/bin/pgbackrest --config='/state dir/pgbackrest.conf' --stanza=products --pg1-path=/x/data archive-get %f "%p"`; got != want {
		t.Errorf("archive get: %s\nwant %s", got, want)
	}
}
