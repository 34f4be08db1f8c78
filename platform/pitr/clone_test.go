package pitr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

func TestCloneIDRoundTrip(t *testing.T) {
	at := time.Date(2022, 4, 5, 7, 33, 0, 123456789, time.UTC)
	id := CloneID("products-eu.1", at)
	if id != "products-eu.1-1649143980123456000" {
		t.Fatalf("CloneID = %s", id)
	}
	cluster, got, err := ParseCloneID(id)
	if err != nil {
		t.Fatal(err)
	}
	if cluster != "products-eu.1" || !got.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("ParseCloneID(%s) = %s, %s", id, cluster, got)
	}
	if base := at.Truncate(time.Microsecond); CloneID("c", base) != CloneID("c", base.Add(999*time.Nanosecond)) {
		t.Fatal("points within one microsecond must share a clone")
	}
	for _, bad := range []string{"", "nodash", "-123", "c-abc", "a b-123", "c-"} {
		if _, _, err := ParseCloneID(bad); err == nil {
			t.Errorf("ParseCloneID(%q) accepted", bad)
		}
	}
}

func TestFormatTarget(t *testing.T) {
	at := time.Date(2022, 4, 5, 7, 33, 0, 123456789, time.FixedZone("x", 3600))
	if got, want := FormatTarget(at), "2022-04-05 06:33:00.123456+00"; got != want {
		t.Fatalf("FormatTarget = %q, want %q", got, want)
	}
	if got, want := FormatTarget(at.Truncate(time.Second)), "2022-04-05 06:33:00+00"; got != want {
		t.Fatalf("FormatTarget = %q, want %q", got, want)
	}
}

func TestChooseBackupTakesTheLatestEndedBeforeT(t *testing.T) {
	t0 := time.Date(2022, 4, 5, 0, 0, 0, 0, time.UTC)
	backups := []backup{
		{name: "b1", end: t0},
		{name: "b3", end: t0.Add(2 * time.Hour)},
		{name: "b2", end: t0.Add(time.Hour)},
	}
	cases := []struct {
		at   time.Time
		want string
	}{
		{t0.Add(-time.Nanosecond), ""},
		{t0, "b1"},
		{t0.Add(90 * time.Minute), "b2"},
		{t0.Add(time.Hour), "b2"},
		{t0.Add(5 * time.Hour), "b3"},
	}
	for _, c := range cases {
		b, ok := chooseBackup(backups, c.at)
		if (c.want == "") == ok || b.name != c.want {
			t.Errorf("chooseBackup(%s) = %q, %v; want %q", c.at, b.name, ok, c.want)
		}
	}
}

func TestRefusalsAreNonRetryable(t *testing.T) {
	err := refuse("clone of %s: bad", "x")
	if !IsRefused(err) {
		t.Fatal("IsRefused = false")
	}
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() {
		t.Fatalf("%v is not a non-retryable application error", err)
	}
	wrapped := errors.Join(errors.New("ctx"), err)
	if !IsRefused(wrapped) {
		t.Fatal("a wrapped refusal is not recognised")
	}
	top := surface(fmt.Errorf("load site x: %w", err))
	if _, ok := top.(*temporal.ApplicationError); !ok || !IsRefused(top) || !strings.Contains(top.Error(), "load site x") {
		t.Fatalf("surface(wrapped refusal) = %T %v", top, top)
	}
	if other := errors.New("other"); surface(other) != other {
		t.Fatal("surface changed a retryable error")
	}
	if IsRefused(errors.New("other")) {
		t.Fatal("any error is a refusal")
	}
}
