package s3media

import (
	"testing"
	"time"
)

func TestULIDTime(t *testing.T) {
	// Taken from versitygw: written at about 2026-11-22 04:14:35 UTC.
	got, ok := ulidTime("01M80QD2ZXXVB3ZZA0Q9D5WH1H")
	if !ok {
		t.Fatal("versitygw version ID not recognised as a ULID")
	}
	if got.Before(time.Date(2026, 11, 22, 4, 14, 30, 0, time.UTC)) || got.After(time.Date(2026, 11, 22, 4, 14, 40, 0, time.UTC)) {
		t.Fatalf("ulid time %v, want about 2026-11-22 04:14:35", got)
	}
	for _, id := range []string{"", "null", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
		"Xb5cJ8rN.4pU_yd8wR1qZkG2s3T4u5v6", "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"} {
		if _, ok := ulidTime(id); ok {
			t.Errorf("%q taken for a ULID", id)
		}
	}
}

func TestCurrentAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	es := []Entry{
		{VersionID: "m2", LastModified: at(30), DeleteMarker: true},
		{VersionID: "v3", LastModified: at(20)},
		{VersionID: "m1", LastModified: at(15), DeleteMarker: true},
		{VersionID: "v2", LastModified: at(10)},
		{VersionID: "v1", LastModified: at(5)},
	}
	cases := []struct {
		point int
		want  string
	}{{4, ""}, {5, "v1"}, {9, "v1"}, {10, "v2"}, {16, ""}, {25, "v3"}, {31, ""}}
	for _, c := range cases {
		e, ok := CurrentAt(es, at(c.point))
		got := ""
		if ok {
			got = e.VersionID
		}
		if got != c.want {
			t.Errorf("at minute %d: %q, want %q", c.point, got, c.want)
		}
	}
}
