//go:build integration

package services_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/internal/testpg"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/sandbox"
	"github.com/lazarus-dr/lazarus/sandbox/traffic"
)

// TestServicesOnASeededFleet runs the services inside a real sandbox (Up,
// seed): every seeded site passes the front door; the permanent-delete
// API through the catalog deletes sites and apps; the lookup then tells
// them apart as deleted; traffic to the others is told from damage by
// the sandbox's verification.
func TestServicesOnASeededFleet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := testpg.Dir(t, "lazarus-services-fleet-")
	p, err := sandbox.Up(ctx, sandbox.Options{StateDir: dir, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	if _, err := p.Seed(ctx, sandbox.SeedOptions{Sites: 60, Seed: 11}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	d, err := platform.Load(p.DescriptionPath())
	if err != nil {
		t.Fatal(err)
	}
	c := httpapi.New(d.Services)

	sites, err := p.ListIDs(ctx, platform.KindSite, false)
	if err != nil || len(sites) != 60 {
		t.Fatalf("sites: %d %v", len(sites), err)
	}
	apps, err := p.ListIDs(ctx, platform.KindApp, false)
	if err != nil || len(apps) < 2 {
		t.Fatalf("apps: %d %v", len(apps), err)
	}
	urls := map[string]string{}
	began := time.Now()
	for _, id := range sites {
		rec, err := c.GetSite(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		urls[id] = rec.URL
		h, err := c.CheckSite(ctx, rec.URL)
		if err != nil {
			t.Fatal(err)
		}
		if !h.OK || h.SiteID != id {
			t.Errorf("seeded site %s (%s) fails the front door: %q", id, rec.URL, h.Missing)
		}
	}
	t.Logf("front door: %d seeded sites checked in %s", len(sites), time.Since(began))

	// The disaster through the API: 2 apps, then 3 sites (IDs that look alike).
	var victims []string
	for _, s := range sites {
		if s != siteOf(t, c, apps[0]) && s != siteOf(t, c, apps[1]) && len(victims) < 3 {
			victims = append(victims, s)
		}
	}
	list := append([]string{apps[0], apps[1]}, victims...)
	var res struct {
		Sites int `json:"sites"`
		Apps  int `json:"apps"`
	}
	if err := c.PermanentDelete(ctx, list, &res); err != nil || res.Sites != 3 || res.Apps != 2 {
		t.Fatalf("permanent delete: %+v %v", res, err)
	}
	infos, err := c.LookupIDs(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range infos {
		wantKind := platform.KindApp
		if i >= 2 {
			wantKind = platform.KindSite
		}
		if in.Kind != wantKind || in.Status != "deleted" || in.DeletedAt.IsZero() || time.Since(in.DeletedAt) > time.Minute {
			t.Errorf("lookup %s: %+v, want a deleted %s with its deletion time", list[i], in, wantKind)
		}
		if wantKind == platform.KindSite && in.URL != urls[in.ID] {
			t.Errorf("lookup %s: url %q, want %q", in.ID, in.URL, urls[in.ID])
		}
	}
	for _, v := range victims {
		h, err := c.CheckSite(ctx, urls[v])
		if err != nil || h.OK {
			t.Errorf("deleted site %s at the front door: %+v %v", v, h, err)
		}
		inst, err := c.Installations(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range inst {
			if a.Status != "uninstalled" {
				t.Errorf("app %s of deleted site %s: vendor says %s", a.AppID, v, a.Status)
			}
		}
	}

	// Traffic to the others is not damage.
	cfg, err := traffic.FromDescription(d)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Exclude, cfg.Rate, cfg.Duration, cfg.MaxWrites = victims, 100, 30*time.Second, 80
	tr, err := traffic.Run(ctx, cfg)
	if err != nil || tr.Writes != 80 {
		t.Fatalf("traffic: %+v %v", tr, err)
	}
	rep, err := p.Verify(ctx, sandbox.VerifyOptions{IDs: list})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.OthersDamaged) != 0 || rep.OthersChecked != 57 {
		var b strings.Builder
		rep.Write(&b)
		t.Fatalf("traffic must not look like damage: others checked %d, damaged %d:\n%s", rep.OthersChecked, len(rep.OthersDamaged), b.String())
	}
	if len(rep.DamagedSites()) != 3 {
		t.Fatalf("damaged %v, want the 3 victims", rep.DamagedSites())
	}
}

func siteOf(t *testing.T, c *httpapi.Client, app string) string {
	t.Helper()
	in, err := c.LookupIDs(context.Background(), []string{app})
	if err != nil || in[0].Kind != platform.KindApp {
		t.Fatalf("lookup app %s: %+v %v", app, in, err)
	}
	return in[0].SiteID
}
