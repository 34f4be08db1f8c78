package activities

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/platform"
	"github.com/lazarus-dr/lazarus/platform/httpapi"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

func testDescription() *platform.Description {
	return &platform.Description{
		Name: "test", Retention: 720 * time.Hour,
		Clusters: []platform.Cluster{{Name: "platform", Host: "127.0.0.1", Port: 5432}, {Name: "products", Host: "/tmp/sock", Port: 5433}},
		Stores:   schema.Stores(2),
		Media:    platform.Media{SitePrefix: "sites/{site}/"},
	}
}

func TestNamesMatchRunbookRegistry(t *testing.T) {
	if got, want := Names(), runbooks.ActivityNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("activities.Names() = %v\nrunbooks.ActivityNames() = %v", got, want)
	}
}

func TestPartsOfSandboxStores(t *testing.T) {
	want := map[string]string{
		"sites": PartSite, "licenses": PartSite, "product_activations": PartSite, "placements": PartSite,
		"site_config": PartMetadata, "app_installations": PartApps,
		"users": PartContacts, "site_admins": PartContacts, "groups": PartSync, "memberships": PartSync, "permissions": PartSync,
	}
	for _, s := range schema.Stores(1) {
		for _, tb := range s.Tables {
			if w, ok := want[tb.Name]; ok {
				if got := PartOf(s, tb); got != w {
					t.Errorf("%s.%s: part %q, want %q", s.Name, tb.Name, got, w)
				}
			}
		}
	}
	// An explicit Part wins.
	if got := PartOf(platform.Store{Kind: "catalog"}, platform.Table{Name: "sites", Part: PartMetadata}); got != PartMetadata {
		t.Errorf("explicit part ignored: %q", got)
	}
}

// step (what Funcs returns and Register registers) wraps an action's error
// exactly once, naming the action, site and step, and keeps its
// retryability and type at the top of the chain, where Temporal reads them.
func TestStepWrapsErrorsOnce(t *testing.T) {
	in := contract.StepInput{Action: contract.ActionDBRestoreTenant, SiteID: "s1", StepID: "restore-db-jira"}
	named := "db.restore_tenant: site s1, step restore-db-jira"
	refused := &httpapi.HTTPError{Service: "catalog", Method: "POST", URL: "/v1/sites", Status: 409, Message: "exists"}
	cases := []struct {
		name      string
		err       error
		permanent bool
		typ       string
	}{
		{"non-retryable deep in the chain", fmt.Errorf("deep: %w", permanent(ErrUnknownSite, "no such site")), true, ErrUnknownSite},
		{"retryable application error", retryable(ErrValidation, "not yet"), false, ErrValidation},
		{"plain error", errors.New("connection refused"), false, ""},
		{"4xx answer", fmt.Errorf("create site: %w", refused), true, ErrPlatformRefused},
		{"429 answer", &httpapi.HTTPError{Status: 429}, false, ""},
	}
	for _, c := range cases {
		f := step(func(context.Context, contract.StepInput) (contract.StepOutput, error) {
			return contract.StepOutput{Message: "half done"}, c.err
		})
		out, err := f(context.Background(), in)
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || reflect.TypeOf(err) != reflect.TypeOf(ae) {
			t.Fatalf("%s: top-level error is %T, Temporal only reads *ApplicationError at the top", c.name, err)
		}
		if ae.NonRetryable() != c.permanent || ae.Type() != c.typ || IsPermanent(err) != c.permanent {
			t.Errorf("%s: non-retryable %v type %q, want %v %q", c.name, ae.NonRetryable(), ae.Type(), c.permanent, c.typ)
		}
		if n := strings.Count(err.Error(), named); n != 1 {
			t.Errorf("%s: error %q names the step %d times, want once", c.name, err, n)
		}
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.err.Error()) {
			t.Errorf("%s: error %q lost its cause %q", c.name, err, c.err)
		}
		if out.Message != "" {
			t.Errorf("%s: output %+v returned with an error", c.name, out)
		}
	}
	// A cancellation stays a cancellation: the application error on top
	// (which carries the attempt) keeps context.Canceled in its chain, and
	// the SDK reports a cancelled activity by looking for it with errors.Is.
	f := step(func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		return contract.StepOutput{}, context.Canceled
	})
	if _, err := f(context.Background(), in); !errors.Is(err, context.Canceled) || IsPermanent(err) || !strings.Contains(err.Error(), named) || appError(err) == nil {
		t.Errorf("cancelled: %v", err)
	}
	// Success passes through untouched.
	f = step(func(context.Context, contract.StepInput) (contract.StepOutput, error) {
		return contract.StepOutput{Message: "ok"}, nil
	})
	if out, err := f(context.Background(), in); err != nil || out.Message != "ok" {
		t.Errorf("success: %+v, %v", out, err)
	}
	// Through Funcs: a platform service's 4xx to a real action is refused
	// for good, named once, with the action's own context kept.
	a := New(Deps{Description: testDescription(), Catalog: refusingCatalog{err: refused}})
	lic := contract.StepInput{BatchID: "b1", SiteID: "s1", StepID: "license", Action: contract.ActionCatalogLicense, Params: map[string]string{"tier": "premium"}}
	_, err := a.Funcs()[contract.ActionCatalogLicense](context.Background(), lic)
	if !IsPermanent(err) || ErrorType(err) != ErrPlatformRefused {
		t.Fatalf("4xx through Funcs: %v (type %q), want non-retryable %s", err, ErrorType(err), ErrPlatformRefused)
	}
	if strings.Count(err.Error(), "catalog.license: site s1, step license") != 1 || !strings.Contains(err.Error(), "set tier premium on s1") {
		t.Errorf("4xx through Funcs: error %q should name the step once and keep the action's context", err)
	}
}

// refusingCatalog answers every license with a refusal.
type refusingCatalog struct {
	fakeCatalog
	err error
}

func (c refusingCatalog) ApplyLicense(context.Context, string, string) error { return c.err }

func TestNewSiteIDDeterministicAndDrillURL(t *testing.T) {
	a, b := NewSiteID("b1", "s1"), NewSiteID("b1", "s1")
	if a != b || a == NewSiteID("b2", "s1") || len(a) != 36 {
		t.Fatalf("new IDs %q %q not deterministic per batch and site", a, b)
	}
	if got := platform.DrillURL("https://acme.example.test/x", "Drill 7"); got != "https://drill-drill-7-acme.example.test/x" {
		t.Fatalf("drill URL %q", got)
	}
}

func TestLiveDSN(t *testing.T) {
	d := testDescription()
	c, _ := d.Cluster("products")
	if got := LiveDSN(c, "shard_1"); got != "postgres://postgres@localhost/shard_1?host=%2Ftmp%2Fsock&port=5433&sslmode=disable" {
		t.Errorf("socket DSN %q", got)
	}
	c, _ = d.Cluster("platform")
	if got := LiveDSN(c, "catalog"); got != "postgres://postgres@127.0.0.1:5432/catalog?sslmode=disable" {
		t.Errorf("tcp DSN %q", got)
	}
	got, err := withDatabase("postgres://u@127.0.0.1:9/postgres?sslmode=disable", "shard_2")
	if err != nil || got != "postgres://u@127.0.0.1:9/shard_2?sslmode=disable" {
		t.Errorf("withDatabase = %q, %v", got, err)
	}
}

// Every action validates its input before touching anything: with no
// dependency able to answer (nil clients would panic), bad inputs must come
// back as non-retryable errors naming the input.
func TestBadInputIsNonRetryableAndNamed(t *testing.T) {
	a := New(Deps{Description: testDescription(), PITR: &fakePITR{}, Catalog: &fakeCatalog{}, Vendors: &fakeVendors{},
		Search: fakeSearch{}, FrontDoor: fakeFrontDoor{}})
	now := time.Now()
	good := func(action string) contract.StepInput {
		return contract.StepInput{BatchID: "b1", SiteID: "s1", StepID: "x", Action: action, RestorePoint: now.Add(-time.Hour),
			Params: map[string]string{"product": "jira", "cluster": "platform"}}
	}
	cases := []struct {
		name   string
		action string
		mod    func(*contract.StepInput)
		typ    string
		says   string
	}{
		{"missing site", contract.ActionFlagsRestore, func(in *contract.StepInput) { in.SiteID = "" }, ErrInvalidInput, "site_id"},
		{"missing product", contract.ActionDBRestoreTenant, func(in *contract.StepInput) { delete(in.Params, "product") }, ErrInvalidInput, `"product"`},
		{"unknown product", contract.ActionDBRestoreTenant, func(in *contract.StepInput) { in.Params["product"] = "jira-software" }, ErrInvalidInput, "jira-software"},
		{"unknown product (search)", contract.ActionSearchReindex, func(in *contract.StepInput) { in.Params["product"] = "nope" }, ErrInvalidInput, "nope"},
		{"no restore point", contract.ActionIdentitySync, func(in *contract.StepInput) { in.RestorePoint = time.Time{} }, ErrInvalidInput, "restore point"},
		{"outside retention", contract.ActionMetadataRestore, func(in *contract.StepInput) { in.RestorePoint = now.Add(-800 * time.Hour) }, ErrOutsideRetention, "retention"},
		{"future point", contract.ActionMediaUndelete, func(in *contract.StepInput) { in.RestorePoint = now.Add(time.Hour) }, ErrMissingDep, "media"},
		{"no clone", contract.ActionIdentityContacts, func(in *contract.StepInput) {}, ErrInvalidInput, contract.CloneDSNVar("platform")},
		{"drill without new ID", contract.ActionIdentitySync, func(in *contract.StepInput) { in.Drill = true }, ErrDrillWritesLive, "new ID"},
		{"undelete in a drill", contract.ActionCatalogUndelete, func(in *contract.StepInput) {
			in.Drill = true
			in.Vars = map[string]string{contract.VarNewSiteID: "n1"}
		}, ErrDrillWritesLive, "create_site"},
		{"unknown cluster", contract.ActionDBClone, func(in *contract.StepInput) { in.Params["cluster"] = "nope" }, ErrInvalidInput, "nope"},
		{"clone without sites", contract.ActionDBClone, func(in *contract.StepInput) {}, ErrInvalidInput, "sites"},
		{"bad tolerance", contract.ActionDBClone, func(in *contract.StepInput) { in.Params["tolerance"] = "soon" }, ErrInvalidInput, "tolerance"},
		{"bad restore_point var", contract.ActionFlagsRestore, func(in *contract.StepInput) {
			in.RestorePoint = time.Time{}
			in.Vars = map[string]string{contract.VarRestorePoint: "yesterday"}
		}, ErrInvalidInput, contract.VarRestorePoint},
	}
	for _, c := range cases {
		in := good(c.action)
		c.mod(&in)
		_, err := a.Funcs()[c.action](context.Background(), in)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !IsPermanent(err) || ErrorType(err) != c.typ {
			t.Errorf("%s: error %v (type %q, permanent %v), want permanent %s", c.name, err, ErrorType(err), IsPermanent(err), c.typ)
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: error %q does not name %q", c.name, err, c.says)
		}
	}
}

func TestDBClonePlansWithinToleranceAndDrops(t *testing.T) {
	p := &fakePITR{}
	a := New(Deps{Description: testDescription(), PITR: p})
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	// Four sites deleted 07:38, 07:40, 07:58, 08:01 (relative): with a 5m
	// tolerance two clones suffice; 20 minutes apart never share one.
	del := []time.Duration{0, 2 * time.Minute, 20 * time.Minute, 23 * time.Minute}
	var sites []contract.SiteTarget
	for i, d := range del {
		sites = append(sites, contract.SiteTarget{SiteID: fmt.Sprintf("s%d", i), DeletedAt: base.Add(d), RestorePoint: base.Add(d - 5*time.Minute)})
	}
	in := contract.StepInput{BatchID: "b1", StepID: "clone-platform", Action: contract.ActionDBClone, Params: map[string]string{"cluster": "platform"}, Sites: sites}
	clone, drop := a.Funcs()[contract.ActionDBClone], a.Funcs()[contract.ActionDBDropClone]
	out, err := clone(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Values[contract.VarClones] != "2" || len(p.made) != 2 {
		t.Fatalf("clones %q (made %d), want 2: %s", out.Values[contract.VarClones], len(p.made), out.Message)
	}
	for _, s := range sites {
		v := out.PerSite[s.SiteID]
		got, err := time.Parse(time.RFC3339Nano, v[contract.VarRestorePoint])
		if err != nil {
			t.Fatalf("site %s restore_point %q: %v", s.SiteID, v[contract.VarRestorePoint], err)
		}
		if got.After(s.RestorePoint) || got.Before(s.RestorePoint.Add(-DefaultTolerance)) {
			t.Errorf("site %s gets %s, want within [%s, %s]", s.SiteID, got, s.RestorePoint.Add(-DefaultTolerance), s.RestorePoint)
		}
		if !strings.HasPrefix(v[contract.CloneDSNVar("platform")], "postgres://") {
			t.Errorf("site %s clone DSN %q", s.SiteID, v[contract.CloneDSNVar("platform")])
		}
	}
	if out.PerSite["s0"][contract.CloneIDVar("platform")] == out.PerSite["s2"][contract.CloneIDVar("platform")] {
		t.Error("sites deleted 20 minutes apart share a clone")
	}
	// Run again: same clones (the engine reuses them), same output.
	again, err := clone(context.Background(), in)
	if err != nil || !reflect.DeepEqual(again, out) {
		t.Fatalf("second run differs: %v\n%+v\n%+v", err, again, out)
	}
	dropIn := contract.StepInput{BatchID: "b1", StepID: "clone-platform", Action: contract.ActionDBDropClone, Vars: out.Values}
	for i := 0; i < 2; i++ {
		if _, err := drop(context.Background(), dropIn); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.live) != 0 {
		t.Fatalf("clones left after drop: %v", p.live)
	}
	// A site outside retention refuses the whole step, naming it.
	sites[1].RestorePoint = time.Now().Add(-1000 * time.Hour)
	sites[1].DeletedAt = sites[1].RestorePoint.Add(5 * time.Minute)
	in.Sites = sites
	_, err = clone(context.Background(), in)
	if !IsPermanent(err) || ErrorType(err) != ErrOutsideRetention || !strings.Contains(err.Error(), "s1") {
		t.Fatalf("outside retention: %v", err)
	}
}

func TestValidateNamesWhatIsWrong(t *testing.T) {
	fd := fakeFrontDoor{missing: []string{"admins"}}
	a := New(Deps{Description: testDescription(), Catalog: &fakeCatalog{}, FrontDoor: fd})
	in := contract.StepInput{BatchID: "b1", SiteID: "s1", StepID: "validate", Action: contract.ActionValidateAutomated, RestorePoint: time.Now().Add(-time.Hour)}
	_, err := a.Funcs()[contract.ActionValidateAutomated](context.Background(), in)
	if err == nil || IsPermanent(err) || ErrorType(err) != ErrValidation {
		t.Fatalf("want a retryable validation error, got %v", err)
	}
	if !strings.Contains(err.Error(), "admins") {
		t.Errorf("error %q does not name %q", err, "admins")
	}
	// Without a clone in the site's vars nothing was restored from one:
	// the stores are not compared, and the message says so.
	a = New(Deps{Description: testDescription(), Catalog: &fakeCatalog{}, FrontDoor: fakeFrontDoor{}})
	out, err := a.Funcs()[contract.ActionValidateAutomated](context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"front door OK", "not compared (no clone of it"} {
		if !strings.Contains(out.Message, w) {
			t.Errorf("message %q does not say %q", out.Message, w)
		}
	}
	in.Params = map[string]string{"product": "nope"}
	if _, err := a.Funcs()[contract.ActionValidateAutomated](context.Background(), in); !IsPermanent(err) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown product: want a permanent error naming it, got %v", err)
	}
}

// Registered under the action names, an action runs in Temporal's activity
// environment, and its non-retryable error crosses the boundary as such.
func TestRegisteredActivityEnvironment(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := New(Deps{Description: testDescription(), Catalog: &fakeCatalog{}, FrontDoor: fakeFrontDoor{}})
	for name, f := range a.Funcs() {
		env.RegisterActivityWithOptions(f, activity.RegisterOptions{Name: name})
	}
	_, err := env.ExecuteActivity(contract.ActionValidateAutomated, contract.StepInput{BatchID: "b1", SiteID: "s1", StepID: "v", Action: contract.ActionValidateAutomated})
	if err != nil {
		t.Fatalf("validate without truth: %v", err)
	}
	_, err = env.ExecuteActivity(contract.ActionDBRestoreTenant, contract.StepInput{BatchID: "b1", SiteID: "s1", StepID: "r", Action: contract.ActionDBRestoreTenant})
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() != ErrMissingDep {
		t.Fatalf("want non-retryable %s through the activity environment, got %v", ErrMissingDep, err)
	}
}

// recordingPITR records what CopyTenant was asked.
type recordingPITR struct {
	fakePITR
	reqs []TenantCopy
}

func (r *recordingPITR) CopyTenant(_ context.Context, req TenantCopy) (TenantCopyResult, error) {
	r.reqs = append(r.reqs, req)
	var done []string
	n := 0
	for i, t := range req.Tables {
		if req.Progress != nil { // rows streaming
			req.Progress(TenantProgress{Store: req.Store.Name, TablesDone: append([]string(nil), done...), Copying: t.Name, Bytes: int64(1000 * (i + 1))})
		}
		done = append(done, t.Name)
		skip := false
		for _, d := range req.Done {
			skip = skip || d == t.Name
		}
		if !skip {
			n++
		}
		if req.Progress != nil {
			req.Progress(TenantProgress{Store: req.Store.Name, TablesDone: append([]string(nil), done...), Rows: int64(len(done))})
		}
	}
	return TenantCopyResult{Rows: int64(n), Inserted: int64(n), Tables: n}, nil
}

// A retried copy resumes after the tables its heartbeat says are done, and
// the copy goes to the store's database on the clone and on the live cluster,
// remapped to new_site_id.
func TestCopyResumesFromHeartbeatAndRemaps(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	rec := &recordingPITR{}
	a := New(Deps{Description: testDescription(), PITR: rec, QuietStart: -1})
	var beats []any
	a.beat = func(_ context.Context, details ...any) { beats = append(beats, details...) }
	env.RegisterActivityWithOptions(a.Funcs()[contract.ActionIdentitySync], activity.RegisterOptions{Name: contract.ActionIdentitySync})
	env.SetHeartbeatDetails(copyResume{Done: map[string][]string{"identity": {"users", "groups"}}})
	in := contract.StepInput{BatchID: "b", SiteID: "old", StepID: "sync", Action: contract.ActionIdentitySync, RestorePoint: time.Now().Add(-time.Hour),
		Vars: map[string]string{contract.CloneDSNVar("platform"): "postgres://postgres@127.0.0.1:7/postgres?sslmode=disable", contract.VarNewSiteID: "new"}}
	if _, err := env.ExecuteActivity(contract.ActionIdentitySync, in); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 1 {
		t.Fatalf("%d copies, want 1 (identity)", len(rec.reqs))
	}
	r := rec.reqs[0]
	if !reflect.DeepEqual(r.Done, []string{"users", "groups"}) {
		t.Errorf("resume list %v, want the heartbeat's [users groups]", r.Done)
	}
	if r.SiteID != "old" || r.AsSiteID != "new" {
		t.Errorf("copy %s as %s, want old as new", r.SiteID, r.AsSiteID)
	}
	if r.CloneDSN != "postgres://postgres@127.0.0.1:7/catalog?sslmode=disable" || !strings.Contains(r.LiveDSN, ":5432/catalog") {
		t.Errorf("DSNs clone %s live %s", r.CloneDSN, r.LiveDSN)
	}
	var names []string
	for _, tb := range r.Tables {
		names = append(names, tb.Name)
	}
	if want := []string{"users", "groups", "memberships", "permissions", "site_admins"}; !reflect.DeepEqual(names, want) {
		t.Errorf("tables %v, want %v in FK order", names, want)
	}
	// Progress is heartbeaten as it comes: rows streaming, tables done.
	streaming := false
	for _, b := range beats {
		if r, ok := b.(copyResume); ok && r.Copying == "identity.memberships" && r.Bytes == 3000 && len(r.Done["identity"]) == 2 {
			streaming = true
		}
	}
	if !streaming {
		t.Errorf("no heartbeat of the rows streaming into identity.memberships: %+v", beats)
	}
	// Contacts only: users and site admins.
	rec.reqs = nil
	if _, err := a.Funcs()[contract.ActionIdentityContacts](context.Background(), in); err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, tb := range rec.reqs[0].Tables {
		names = append(names, tb.Name)
	}
	if want := []string{"users", "site_admins"}; !reflect.DeepEqual(names, want) {
		t.Errorf("contacts tables %v, want %v", names, want)
	}
}

// slowPITR takes a while to make a clone.
type slowPITR struct {
	fakePITR
	d time.Duration
}

func (s *slowPITR) Clone(ctx context.Context, c platform.Cluster, at time.Time) (CloneRef, error) {
	time.Sleep(s.d)
	return s.fakePITR.Clone(ctx, c, at)
}

// A clone longer than the heartbeat timeout still heartbeats.
func TestLongCloneKeepsHeartbeating(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := New(Deps{Description: testDescription(), PITR: &slowPITR{d: 600 * time.Millisecond}, HeartbeatEvery: 50 * time.Millisecond})
	env.RegisterActivityWithOptions(a.Funcs()[contract.ActionDBClone], activity.RegisterOptions{Name: contract.ActionDBClone})
	var mu sync.Mutex
	beats := 0
	a.beat = func(ctx context.Context, details ...any) {
		mu.Lock()
		beats++
		mu.Unlock()
		activity.RecordHeartbeat(ctx, details...)
	}
	now := time.Now()
	in := contract.StepInput{BatchID: "b", StepID: "clone", Action: contract.ActionDBClone, Params: map[string]string{"cluster": "platform"},
		Sites: []contract.SiteTarget{{SiteID: "s1", RestorePoint: now.Add(-time.Hour)}}}
	if _, err := env.ExecuteActivity(contract.ActionDBClone, in); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if beats < 5 {
		t.Fatalf("%d heartbeats during a 600ms clone with a 50ms period", beats)
	}
}
