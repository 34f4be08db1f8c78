package sandbox

import (
	"crypto/md5"
	"strings"
	"testing"
)

func TestFingerprintIsOrderFreeAndSubtractable(t *testing.T) {
	rows := []string{"(a,1)", "(a,2)", "(a,3)"}
	var f1, f2 fingerprint
	for _, r := range rows {
		f1.addHash(md5.Sum([]byte(r)), 1)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		f2.addHash(md5.Sum([]byte(rows[i])), 1)
	}
	if f1 != f2 {
		t.Fatal("fingerprint depends on row order")
	}
	// Add a traffic row, then take it out again by its hex MD5.
	extra := md5.Sum([]byte("(a,99)"))
	f2.addHash(extra, 1)
	if f1 == f2 {
		t.Fatal("an extra row left the fingerprint unchanged")
	}
	if err := f2.addHex(hexOf(extra), -1); err != nil {
		t.Fatal(err)
	}
	if f1 != f2 {
		t.Fatal("subtracting the extra row did not restore the fingerprint")
	}
	if err := f2.addHex("zz", -1); err == nil {
		t.Fatal("a bad MD5 was accepted")
	}
}

func hexOf(h [16]byte) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range h {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

func TestMod64(t *testing.T) {
	for in, want := range map[string]uint64{
		"0":                     0,
		"18446744073709551616":  0, // 2^64
		"18446744073709551617":  1,
		"-1":                    ^uint64(0),
		"36893488147419103234":  2, // 2*2^64 + 2
		"-18446744073709551615": 1,
	} {
		got, err := mod64(in)
		if err != nil || got != want {
			t.Errorf("mod64(%s) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := mod64("x"); err == nil {
		t.Error("mod64 accepted a non-number")
	}
}

func TestCompareSiteNamesTheDifference(t *testing.T) {
	truth := []truthRecord{
		{store: "catalog", tables: storeFP{"sites": {Rows: 1, A: 5, B: 6}}},
		{store: "products/jira", tables: storeFP{"jira_issues": {Rows: 3, A: 1, B: 2}}},
	}
	now := map[string]storeFP{
		"catalog":       {"sites": {Rows: 1, A: 5, B: 6}},
		"products/jira": {"jira_issues": {Rows: 2, A: 9, B: 9}},
		"flags":         {"site_flags": {Rows: 4, A: 1, B: 1}},
	}
	diffs := compareSite(truth, now, nil, nil)
	got := map[string]string{}
	for _, d := range diffs {
		if d.Match {
			got[d.Store] = "match"
		} else {
			got[d.Store] = d.Diff
		}
	}
	if got["catalog"] != "match" {
		t.Errorf("catalog: %q", got["catalog"])
	}
	if got["products/jira"] != "jira_issues: 2 rows now, 3 in truth" {
		t.Errorf("jira: %q", got["products/jira"])
	}
	if got["flags"] != "site_flags: 4 rows now, 0 in truth" {
		t.Errorf("flags (rows that should not be there): %q", got["flags"])
	}
	if diffs[0].Store != "catalog" {
		t.Errorf("catalog is not listed first: %+v", diffs)
	}
	// Nothing now (a deleted site): every truth store differs.
	for _, d := range compareSite(truth, nil, nil, nil) {
		if d.Match {
			t.Errorf("store %s matches a deleted site", d.Store)
		}
	}
}

func TestResolvePorts(t *testing.T) {
	p, err := resolvePorts(nil, Options{PortBase: 30000})
	if err != nil {
		t.Fatal(err)
	}
	if p.PlatformPG != 30000 || p.ProductsPG != 30001 || p.S3 != 30002 || p.Services.Catalog != 30003 || p.Services.Admin != 30010 {
		t.Errorf("port base: %+v", p)
	}
	// Recorded ports win; asking for another one is refused.
	rec := &State{Ports: p}
	again, err := resolvePorts(rec, Options{})
	if err != nil || again != p {
		t.Errorf("resume: %+v %v", again, err)
	}
	if _, err := resolvePorts(rec, Options{Ports: Ports{PlatformPG: 31000}}); err == nil || !strings.Contains(err.Error(), "31000") {
		t.Errorf("changing a recorded port: want a refusal naming it, got %v", err)
	}
	free, err := resolvePorts(nil, Options{})
	if err != nil || free.PlatformPG == 0 || free.S3 != 0 || free.Services.Catalog != 0 {
		t.Errorf("free ports: %+v %v", free, err)
	}
}
