//go:build integration

package activities_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lazarus-dr/lazarus/activities"
	"github.com/lazarus-dr/lazarus/contract"
)

// breakable names, per product, a table and a text column a test can
// change one row of.
var breakable = map[string][2]string{
	"jira": {"jira_projects", "name"}, "confluence": {"conf_spaces", "name"},
	"jira-service-management": {"jsm_queues", "name"}, "opsgenie": {"og_alerts", "message"},
	"statuspage": {"sp_components", "name"},
}

// validate.automated with no oracle (the world has no truth): a Restore 2
// and a Restore 1 (new ID, through the remap) pass; a row written since the
// restore is allowed and counted; one restored row changed on purpose, and
// one media object, fail it, named by store and table (by prefix and key),
// and pass again once put back.
func TestValidateWithoutOracle(t *testing.T) {
	w := upWorld(t, 40)
	ctx := context.Background()
	picked := w.pickSites(2)
	siteR2, siteR1 := picked[0], picked[1]
	w.backup()
	time.Sleep(300 * time.Millisecond)
	point := time.Now()
	time.Sleep(300 * time.Millisecond)
	if _, err := w.p.PermanentDelete(ctx, picked); err != nil {
		t.Fatalf("permanent delete: %v", err)
	}
	vars := w.cloneFor(picked, point)

	// Restore 2 of siteR2 (same ID), each action once.
	v := vars[siteR2]
	products := w.productsAt(siteR2, v)
	for _, a := range []string{contract.ActionCatalogUndelete, contract.ActionMetadataRestore, contract.ActionIdentityContacts, contract.ActionIdentitySync} {
		w.once(siteR2, v, point, a, nil)
	}
	for _, p := range products {
		w.once(siteR2, v, point, contract.ActionDBRestoreTenant, map[string]string{"product": p})
	}
	for _, a := range []string{contract.ActionMediaUndelete, contract.ActionFlagsRestore, contract.ActionAppsReattach} {
		w.once(siteR2, v, point, a, nil)
	}
	out, err := w.validate(siteR2, v, point, nil)
	if err != nil {
		t.Fatalf("validate after Restore 2: %v", err)
	}
	for _, p := range products {
		if _, err := w.validate(siteR2, v, point, map[string]string{"product": p}); err != nil {
			t.Errorf("validate %s after Restore 2: %v", p, err)
		}
	}

	// Live traffic: a row written since the restore is allowed, and counted.
	w.exec("catalog", `INSERT INTO site_flags (site_id, flag, enabled, value) VALUES ($1, 'it.since-restore', true, 'x')`, siteR2)
	if out, err = w.validate(siteR2, v, point, nil); err != nil || !strings.Contains(out.Message, "1 written since") {
		t.Errorf("validate with a row written since the restore: %v, %q (want it counted)", err, out.Message)
	}

	// One restored row broken on purpose, then put back.
	p := products[0]
	shard, tb := v[contract.StoreVar(p)], breakable[p]
	pool, err := w.p.Pool(ctx, shard)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	var orig string
	if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT id, %s FROM %s WHERE site_id = $1 ORDER BY id LIMIT 1`, tb[1], tb[0]), siteR2).Scan(&id, &orig); err != nil {
		t.Fatalf("a row of %s in %s.%s: %v", siteR2, shard, tb[0], err)
	}
	update := fmt.Sprintf(`UPDATE %s SET %s = $3 WHERE site_id = $1 AND id = $2`, tb[0], tb[1])
	w.exec(shard, update, siteR2, id, orig+" (broken)")
	_, err = w.validate(siteR2, v, point, nil)
	want := fmt.Sprintf("store %s table %s: 1 row differs from the restore point (of ", shard, tb[0])
	if err == nil || activities.IsPermanent(err) || activities.ErrorType(err) != activities.ErrValidation || !strings.Contains(err.Error(), want) {
		t.Fatalf("validate with a broken row: %v, want a retryable validation error saying %q", err, want)
	}
	t.Logf("broken row: %v", err)
	w.exec(shard, update, siteR2, id, orig)
	if _, err := w.validate(siteR2, v, point, nil); err != nil {
		t.Fatalf("validate with the row put back: %v", err)
	}

	// One restored media object overwritten on purpose.
	w.breakMedia(siteR2, v, point)

	// Restore 1 of siteR1: a new ID; the comparison goes through the remap.
	v = vars[siteR1]
	out = w.once(siteR1, v, point, contract.ActionCatalogCreateSite, nil)
	newID := out.Values[contract.VarNewSiteID]
	w.once(siteR1, v, point, contract.ActionCatalogLicense, nil)
	all := w.acts.Products()
	for _, p := range all {
		w.once(siteR1, v, point, contract.ActionCatalogActivateProduct, map[string]string{"product": p})
	}
	for _, a := range []string{contract.ActionCatalogPlaceRegion, contract.ActionMetadataRestore, contract.ActionIdentityContacts, contract.ActionIdentitySync} {
		w.once(siteR1, v, point, a, nil)
	}
	for _, p := range all {
		w.once(siteR1, v, point, contract.ActionDBRestoreTenant, map[string]string{"product": p})
		w.once(siteR1, v, point, contract.ActionMediaUndelete, map[string]string{"product": p})
	}
	w.once(siteR1, v, point, contract.ActionFlagsRestore, nil)
	w.once(siteR1, v, point, contract.ActionAppsReattach, nil)
	if out, err = w.validate(siteR1, v, point, nil); err != nil {
		t.Fatalf("validate after Restore 1 (as %s): %v", newID, err)
	}
	if !strings.Contains(out.Message, "activated") {
		t.Errorf("validate after Restore 1: %q, want the new site activated", out.Message)
	}
	// The remapped copy broken: named the same way.
	w.exec("catalog", `UPDATE users SET display_name = display_name || '!' WHERE site_id = $1 AND id = (SELECT min(id) FROM users WHERE site_id = $1)`, newID)
	if _, err := w.validate(siteR1, v, point, nil); err == nil || !strings.Contains(err.Error(), "store identity table users: 1 row differs") {
		t.Errorf("validate of the new ID with a broken user: %v", err)
	}
}

// cloneFor makes a clone of every cluster for the sites at point, dropped
// at the test's end, and returns each site's vars.
func (w *world) cloneFor(sites []string, point time.Time) map[string]map[string]string {
	w.t.Helper()
	ctx := context.Background()
	var targets []contract.SiteTarget
	vars := map[string]map[string]string{}
	for _, s := range sites {
		targets = append(targets, contract.SiteTarget{SiteID: s, RestorePoint: point})
		vars[s] = map[string]string{}
	}
	for _, c := range w.desc.Clusters {
		in := contract.StepInput{BatchID: w.batch, StepID: "clone-" + c.Name, Action: contract.ActionDBClone,
			Params: map[string]string{"cluster": c.Name}, Sites: targets}
		out, err := w.acts.DBClone(ctx, in)
		if err != nil {
			w.t.Fatalf("db.clone %s: %v", c.Name, err)
		}
		w.t.Cleanup(func() {
			drop := contract.StepInput{BatchID: w.batch, StepID: in.StepID, Action: contract.ActionDBDropClone, Vars: out.Values}
			if _, err := w.acts.DBDropClone(context.Background(), drop); err != nil {
				w.t.Errorf("drop clone: %v", err)
			}
		})
		for site, v := range out.PerSite {
			for k, x := range v {
				vars[site][k] = x
			}
		}
	}
	return vars
}

// once runs one action for a site, which must succeed, and keeps its values.
func (w *world) once(site string, vars map[string]string, point time.Time, action string, params map[string]string) contract.StepOutput {
	w.t.Helper()
	in := contract.StepInput{BatchID: w.batch, SiteID: site, StepID: action + "/" + params["product"], Action: action,
		Params: params, RestorePoint: point, Vars: vars}
	out, err := w.acts.Funcs()[action](context.Background(), in)
	if err != nil {
		w.t.Fatalf("%s for %s: %v", action, site, err)
	}
	for k, x := range out.Values {
		vars[k] = x
	}
	return out
}

// validate runs validate.automated for a site and logs how long it took.
func (w *world) validate(site string, vars map[string]string, point time.Time, params map[string]string) (contract.StepOutput, error) {
	w.t.Helper()
	in := contract.StepInput{BatchID: w.batch, SiteID: site, StepID: "validate/" + params["product"], Action: contract.ActionValidateAutomated,
		Params: params, RestorePoint: point, Vars: vars}
	began := time.Now()
	out, err := w.acts.Funcs()[contract.ActionValidateAutomated](context.Background(), in)
	msg := out.Message
	if err != nil {
		msg = err.Error()
	}
	w.t.Logf("validate.automated %s %v: %s, %s", site[:8], params, time.Since(began).Round(time.Millisecond), msg)
	return out, err
}

// breakMedia overwrites one restored object of the site with other content:
// validation must name it; the original content put back, it passes.
func (w *world) breakMedia(site string, vars map[string]string, point time.Time) {
	w.t.Helper()
	ctx := context.Background()
	m := w.deps.Media
	hist, err := m.History(ctx, m.SitePrefix(site))
	if err != nil {
		w.t.Fatal(err)
	}
	key := ""
	for k, es := range hist {
		if len(es) > 0 && !es[0].DeleteMarker && (key == "" || k < key) {
			key = k
		}
	}
	if key == "" {
		w.t.Fatalf("site %s has no media", site)
	}
	body, err := m.Get(ctx, key)
	if err != nil {
		w.t.Fatal(err)
	}
	put := func(b []byte) {
		if _, err := m.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.Bucket()), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			w.t.Fatal(err)
		}
	}
	put(append([]byte("broken "), body...))
	_, err = w.validate(site, vars, point, nil)
	rel := strings.TrimPrefix(key, m.SitePrefix(site))
	if err == nil || !strings.Contains(err.Error(), "1 object differs from the restore point") || !strings.Contains(err.Error(), rel) {
		w.t.Fatalf("validate with a broken object %s: %v", key, err)
	}
	put(body)
	if _, err := w.validate(site, vars, point, nil); err != nil {
		w.t.Fatalf("validate with the object put back: %v", err)
	}
}
