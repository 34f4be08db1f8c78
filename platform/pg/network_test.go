package pg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrustedNetworkBlockIsRewrittenNotAppended(t *testing.T) {
	hba := filepath.Join(t.TempDir(), "pg_hba.conf")
	initdb := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	if err := os.WriteFile(hba, []byte(initdb), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := writeTrustedNetwork(hba, "10.77.0.1/24"); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(hba)
	if got := string(raw); !strings.HasPrefix(got, initdb) || strings.Count(got, "host all all 10.77.0.0/24 trust") != 1 {
		t.Fatalf("pg_hba.conf after two writes:\n%s", got)
	}
	if err := writeTrustedNetwork(hba, ""); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(hba); string(raw) != initdb {
		t.Fatalf("pg_hba.conf after the network was dropped:\n%s", raw)
	}
}

func TestListenAddressesAndNetworkCheck(t *testing.T) {
	if got := listenAddresses("10.77.0.1/24"); got != "127.0.0.1,10.77.0.1" {
		t.Errorf("listenAddresses = %q", got)
	}
	if got := listenAddresses(""); got != "127.0.0.1" {
		t.Errorf("listenAddresses(\"\") = %q", got)
	}
	if err := checkNetwork("10.77.0.1"); err == nil || !strings.Contains(err.Error(), `"10.77.0.1"`) {
		t.Errorf("an address without its prefix: %v", err)
	}
}
