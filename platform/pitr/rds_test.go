package pitr

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/platform"
)

// The RDS cloner against rdsServer (rds_server_test.go), through the SDK's
// real client and the AWS default chain (static test keys in the
// environment). Nothing here reaches AWS.

var (
	rdsEarliest = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rdsLatest   = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rdsPoint    = time.Date(2026, 11, 20, 8, 30, 15, 123456789, time.UTC)
)

// rdsEnv gives the AWS default chain static test keys and nothing else to
// find (no shared files, no instance metadata), one attempt per call.
func rdsEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDLAZARUSTEST", "AWS_SECRET_ACCESS_KEY": "lazarus-test-secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_RDS": "",
	} {
		t.Setenv(k, v)
	}
}

// tctx bounds a test's calls: a wait that never ends fails the test.
func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func rdsDescription(endpoint string) *platform.Description {
	return &platform.Description{Clusters: []platform.Cluster{
		{Name: "orders", Port: 5432, User: "lazarus", Backups: platform.BackupsRDS, RDS: &platform.RDS{
			Region: "eu-west-1", InstanceIdentifier: "orders-prod", InstanceClass: "db.r6g.large",
			SubnetGroup: "lazarus-clones", SecurityGroups: []string{"sg-0a1", "sg-0b2"}, IAMAuth: true, Endpoint: endpoint}},
		{Name: "catalog", Port: 5432, User: "lazarus", Backups: platform.BackupsRDS, RDS: &platform.RDS{
			Region: "eu-west-1", ClusterIdentifier: "catalog-aurora", InstanceClass: "db.r6g.xlarge",
			SubnetGroup: "lazarus-clones", SecurityGroups: []string{"sg-0a1"}, Endpoint: endpoint}},
		{Name: "local", Port: 5433},
	}}
}

func newTestRDS(t *testing.T) (*RDSCloner, *rdsServer) {
	rdsEnv(t)
	srv := newRDSServer(t, rdsEarliest, rdsLatest)
	r, err := NewRDSCloner(tctx(t), rdsDescription(srv.URL), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	r.Poll = 8 * time.Millisecond
	return r, srv
}

func TestRDSCloneNameFollowsRDSRules(t *testing.T) {
	rule := regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)
	long := strings.Repeat("Very_Long.Source--Name ", 6)
	names := map[string]bool{}
	for _, src := range []string{"orders-prod", "Orders_Prod.EU", long, long + "x", "---", "9lives"} {
		for _, at := range []time.Time{rdsPoint, rdsPoint.Add(time.Microsecond), rdsPoint.Add(time.Hour)} {
			n := RDSCloneName(src, at)
			if len(n) > 63 || !rule.MatchString(n) || strings.Contains(n, "--") {
				t.Errorf("RDSCloneName(%q, %s) = %q breaks RDS's identifier rules", src, at, n)
			}
			if n != RDSCloneName(src, at) {
				t.Errorf("RDSCloneName(%q) is not deterministic", src)
			}
			if names[n] {
				t.Errorf("RDSCloneName(%q, %s) = %q collides", src, at, n)
			}
			names[n] = true
		}
	}
	if got := RDSCloneName("orders-prod", rdsPoint); !strings.HasPrefix(got, "lz-orders-prod-20261120t083015-") {
		t.Errorf("RDSCloneName = %q, want lz-orders-prod-20261120t083015-<hash>", got)
	}
}

func TestRDSInstanceCloneRequestsWaitsAndReuses(t *testing.T) {
	r, srv := newTestRDS(t)
	var mu sync.Mutex
	var seen []string
	r.Progress = func(p RDSProgress) { mu.Lock(); seen = append(seen, p.Status); mu.Unlock() }
	srv.script = []string{"creating", "creating", "backing-up", "available"}

	cl, err := r.Clone(tctx(t), "orders", rdsPoint)
	if err != nil {
		t.Fatal(err)
	}
	id := CloneID("orders", rdsPoint)
	name := RDSCloneName("orders-prod", rdsPoint.Truncate(time.Microsecond))
	if cl.ID != id || cl.Host != name+".abcdefgh.eu-west-1.rds.amazonaws.com" || cl.Port != 5432 || cl.User != "lazarus" || cl.Seconds <= 0 {
		t.Fatalf("clone = %+v", cl)
	}
	if dsn := cl.DSN("app"); strings.Contains(dsn, "password") || !strings.Contains(dsn, "sslmode=verify-full") {
		t.Fatalf("a clone's DSN must carry no password and verify the server: %s", dsn)
	}
	want := []string{"DescribeDBInstances", "DescribeDBInstances", "DescribeDBInstanceAutomatedBackups", "RestoreDBInstanceToPointInTime",
		"DescribeDBInstances", "DescribeDBInstances", "DescribeDBInstances", "DescribeDBInstances"}
	if got := srv.actions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("actions\n got %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(seen, []string{"creating", "creating", "backing-up", "available"}) {
		t.Errorf("progress saw %v", seen)
	}
	restore := srv.calls("RestoreDBInstanceToPointInTime")[0]
	for k, v := range map[string]string{
		"SourceDBInstanceIdentifier": "orders-prod", "TargetDBInstanceIdentifier": name,
		"RestoreTime": "2026-11-20T08:30:15Z", "DBInstanceClass": "db.r6g.large", "DBSubnetGroupName": "lazarus-clones",
		"VpcSecurityGroupIds.VpcSecurityGroupId.1": "sg-0a1", "VpcSecurityGroupIds.VpcSecurityGroupId.2": "sg-0b2",
		"EnableIAMDatabaseAuthentication": "true", "BackupRetentionPeriod": "0", "MultiAZ": "false", "PubliclyAccessible": "false",
		"Tags.Tag.1.Key": TagRDSClone, "Tags.Tag.1.Value": id, "Tags.Tag.2.Key": TagRDSCluster, "Tags.Tag.2.Value": "orders",
		"Tags.Tag.3.Key": TagRDSPoint, "Tags.Tag.3.Value": "2026-11-20T08:30:15.123456Z",
		"Tags.Tag.4.Key": TagRDSSource, "Tags.Tag.4.Value": "orders-prod",
	} {
		if got := restore.Get(k); got != v {
			t.Errorf("Restore %s = %q, want %q", k, got, v)
		}
	}
	if restore.Has("UseLatestRestorableTime") {
		t.Error("Restore must name the point, not the latest time")
	}
	if a := srv.auth[0]; !strings.Contains(a, "Credential=AKIDLAZARUSTEST/") || !strings.Contains(a, "/eu-west-1/rds/aws4_request") {
		t.Errorf("request not signed with the default chain's keys for rds in eu-west-1: %q", a)
	}

	// Idempotent: the same point again reuses the instance.
	again, err := r.Clone(tctx(t), "orders", rdsPoint.Add(200*time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(srv.calls("RestoreDBInstanceToPointInTime")); n != 1 || again.ID != id || again.Seconds != 0 || again.Host != cl.Host {
		t.Fatalf("second Clone: %d restores, clone %+v", n, again)
	}

	if err := r.Teardown(tctx(t), id); err != nil {
		t.Fatal(err)
	}
	del := srv.calls("DeleteDBInstance")
	if len(del) != 1 || del[0].Get("DBInstanceIdentifier") != name || del[0].Get("SkipFinalSnapshot") != "true" || del[0].Get("DeleteAutomatedBackups") != "true" {
		t.Fatalf("DeleteDBInstance requests %v", del)
	}
	if err := r.Teardown(tctx(t), id); err != nil {
		t.Fatalf("teardown of a clone already gone: %v", err)
	}
	if n := len(srv.calls("DeleteDBInstance")); n != 1 {
		t.Fatalf("%d DeleteDBInstance for a clone already gone", n)
	}
}

// nonRetryable checks err is a top-level non-retryable refusal.
func nonRetryable(t *testing.T, err error) {
	t.Helper()
	var app *temporal.ApplicationError
	if err == nil || !IsRefused(err) || !errors.As(err, &app) || !app.NonRetryable() {
		t.Fatalf("want a non-retryable refusal, got %v", err)
	}
	if _, top := err.(*temporal.ApplicationError); !top {
		t.Fatalf("the refusal must be the top error for Temporal: %T", err)
	}
	if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), fakeRawMessage) {
		t.Fatalf("want one line without the server's own text: %q", err)
	}
}

func TestRDSRefusesPointOutsideWindowBeforeCreating(t *testing.T) {
	r, srv := newTestRDS(t)
	for _, c := range []struct {
		cluster string
		at      time.Time
	}{
		{"orders", rdsEarliest.Add(-time.Second)}, {"orders", rdsLatest.Add(time.Second)},
		{"catalog", rdsEarliest.Add(-time.Hour)}, {"catalog", rdsLatest.Add(time.Minute)},
	} {
		_, err := r.Clone(tctx(t), c.cluster, c.at)
		nonRetryable(t, err)
		if !strings.Contains(err.Error(), "outside the restorable window") {
			t.Errorf("%s at %s: %v", c.cluster, c.at, err)
		}
	}
	for _, a := range srv.actions() {
		if strings.HasPrefix(a, "Restore") || strings.HasPrefix(a, "Create") {
			t.Fatalf("a point outside the window sent %s", a)
		}
	}
	w, err := r.Window(tctx(t), "orders")
	if err != nil || !w.Earliest.Equal(rdsEarliest) || !w.Latest.Equal(rdsLatest) {
		t.Fatalf("instance window %+v, %v", w, err)
	}
	w, err = r.Window(tctx(t), "catalog")
	if err != nil || !w.Earliest.Equal(rdsEarliest) || !w.Latest.Equal(rdsLatest) {
		t.Fatalf("Aurora window %+v, %v", w, err)
	}
	for _, bad := range []string{"local", "nope"} {
		_, err := r.Clone(tctx(t), bad, rdsPoint)
		nonRetryable(t, err)
	}
}

func TestRDSFailedStatusIsClearAndDeletes(t *testing.T) {
	r, srv := newTestRDS(t)
	srv.script = []string{"creating", "incompatible-network"}
	_, err := r.Clone(tctx(t), "orders", rdsPoint)
	nonRetryable(t, err)
	if !strings.Contains(err.Error(), `"incompatible-network"`) || !strings.Contains(err.Error(), "rds.subnet_group") {
		t.Fatalf("failed status error: %v", err)
	}
	if n := len(srv.calls("DeleteDBInstance")); n != 1 {
		t.Fatalf("the failed instance was not deleted (%d DeleteDBInstance)", n)
	}
}

func TestRDSCancelWhileWaitingDeletesTheInstance(t *testing.T) {
	r, srv := newTestRDS(t)
	srv.script = []string{"creating"}
	ctx, cancel := context.WithCancel(tctx(t))
	polls := 0
	r.Progress = func(p RDSProgress) {
		if polls++; polls == 3 {
			cancel()
		}
	}
	_, err := r.Clone(ctx, "orders", rdsPoint)
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "it was deleted") {
		t.Fatalf("cancelled clone: %v", err)
	}
	if n := len(srv.calls("DeleteDBInstance")); n != 1 {
		t.Fatalf("%d DeleteDBInstance after a cancel", n)
	}
	if _, left := srv.instances[RDSCloneName("orders-prod", rdsPoint.Truncate(time.Microsecond))]; left {
		t.Fatal("the cancelled clone's instance is still there")
	}
}

func TestRDSDeadlineLeavesTheInstanceForTheRetry(t *testing.T) {
	r, srv := newTestRDS(t)
	srv.script = []string{"creating"}
	ctx, cancel := context.WithTimeout(tctx(t), 500*time.Millisecond)
	defer cancel()
	_, err := r.Clone(ctx, "orders", rdsPoint)
	if err == nil || IsRefused(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("clone past its deadline: %v", err)
	}
	if n := len(srv.calls("DeleteDBInstance")); n != 0 {
		t.Fatalf("%d DeleteDBInstance after a deadline: the retry must reuse it", n)
	}
	// The retry finds it and waits on.
	srv.mu.Lock()
	inst := srv.instances[RDSCloneName("orders-prod", rdsPoint.Truncate(time.Microsecond))]
	if inst == nil {
		srv.mu.Unlock()
		t.Fatalf("no instance was made before the deadline: %v", srv.actions())
	}
	inst.script = []string{"available"}
	srv.mu.Unlock()
	if _, err := r.Clone(tctx(t), "orders", rdsPoint); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.calls("RestoreDBInstanceToPointInTime")); n != 1 {
		t.Fatalf("%d restores: the retry must reuse the instance", n)
	}
}

func TestRDSWaitPollsThroughTransientErrorsNotThroughAGoneInstance(t *testing.T) {
	r, srv := newTestRDS(t)
	srv.script = []string{"creating", "creating", "available"}
	r.Progress = func(p RDSProgress) {
		if p.Status == "creating" {
			srv.mu.Lock()
			srv.fail["DescribeDBInstances"] = fakeFault{500, "InternalFailure", 2}
			srv.mu.Unlock()
			r.Progress = nil
		}
	}
	if _, err := r.Clone(tctx(t), "orders", rdsPoint); err != nil {
		t.Fatalf("two 500s while waiting must be polled through: %v", err)
	}

	other := rdsPoint.Add(time.Hour).Truncate(time.Microsecond)
	srv.script = []string{"creating"}
	r.Progress = func(p RDSProgress) {
		srv.mu.Lock()
		delete(srv.instances, RDSCloneName("orders-prod", other))
		srv.mu.Unlock()
	}
	before := len(srv.calls("DescribeDBInstances"))
	_, err := r.Clone(tctx(t), "orders", other)
	if err == nil || IsRefused(err) || !errors.Is(err, errRDSGone) {
		t.Fatalf("an instance deleted while being made: %v", err)
	}
	// existence check, window, first poll, the poll that finds it gone
	if n := len(srv.calls("DescribeDBInstances")) - before; n != 4 {
		t.Fatalf("%d DescribeDBInstances: a gone instance must end the wait at once", n)
	}
}

func TestRDSAuroraRestoresClusterThenCreatesInstance(t *testing.T) {
	r, srv := newTestRDS(t)
	srv.script = []string{"creating", "available"}
	cl, err := r.Clone(tctx(t), "catalog", rdsPoint)
	if err != nil {
		t.Fatal(err)
	}
	id := CloneID("catalog", rdsPoint)
	name := RDSCloneName("catalog-aurora", rdsPoint.Truncate(time.Microsecond))
	if cl.ID != id || cl.Host != name+".abcdefgh.eu-west-1.rds.amazonaws.com" || cl.Port != 5432 {
		t.Fatalf("clone %+v", cl)
	}
	want := []string{"DescribeDBClusters", "DescribeDBClusters", "RestoreDBClusterToPointInTime", "DescribeDBInstances",
		"DescribeDBClusters", "DescribeDBClusters", "CreateDBInstance", "DescribeDBInstances", "DescribeDBInstances"}
	if got := srv.actions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("actions\n got %v\nwant %v", got, want)
	}
	restore := srv.calls("RestoreDBClusterToPointInTime")[0]
	for k, v := range map[string]string{
		"SourceDBClusterIdentifier": "catalog-aurora", "DBClusterIdentifier": name, "RestoreType": "copy-on-write",
		"RestoreToTime": "2026-11-20T08:30:15Z", "DBSubnetGroupName": "lazarus-clones",
		"VpcSecurityGroupIds.VpcSecurityGroupId.1": "sg-0a1", "Tags.Tag.1.Value": id,
	} {
		if got := restore.Get(k); got != v {
			t.Errorf("RestoreDBClusterToPointInTime %s = %q, want %q", k, got, v)
		}
	}
	create := srv.calls("CreateDBInstance")[0]
	for k, v := range map[string]string{
		"DBInstanceIdentifier": name, "DBClusterIdentifier": name, "DBInstanceClass": "db.r6g.xlarge",
		"Engine": "aurora-postgresql", "Tags.Tag.1.Value": id,
	} {
		if got := create.Get(k); got != v {
			t.Errorf("CreateDBInstance %s = %q, want %q", k, got, v)
		}
	}
	if _, err := r.Clone(tctx(t), "catalog", rdsPoint); err != nil {
		t.Fatal(err)
	}
	if len(srv.calls("RestoreDBClusterToPointInTime")) != 1 || len(srv.calls("CreateDBInstance")) != 1 {
		t.Fatal("a second Clone of the same point restored or created again")
	}
	if err := r.Teardown(tctx(t), id); err != nil {
		t.Fatal(err)
	}
	di, dc := srv.calls("DeleteDBInstance"), srv.calls("DeleteDBCluster")
	if len(di) != 1 || len(dc) != 1 || dc[0].Get("DBClusterIdentifier") != name || dc[0].Get("SkipFinalSnapshot") != "true" {
		t.Fatalf("Aurora teardown: %v then %v", di, dc)
	}
	if a := srv.actions(); a[len(a)-1] != "DeleteDBCluster" {
		t.Fatalf("the cluster must be deleted after its instance: %v", a)
	}
}

func TestRDSTeardownMissingAndForeign(t *testing.T) {
	r, srv := newTestRDS(t)
	id := CloneID("orders", rdsPoint)
	if err := r.Teardown(tctx(t), id); err != nil {
		t.Fatalf("teardown of a clone that never existed: %v", err)
	}
	name := RDSCloneName("orders-prod", rdsPoint.Truncate(time.Microsecond))
	srv.instances[name] = &fakeDB{id: name, status: "available", engine: "postgres", tags: [][2]string{{"team", "billing"}}}
	err := r.Teardown(tctx(t), id)
	nonRetryable(t, err)
	if n := len(srv.calls("DeleteDBInstance")); n != 0 {
		t.Fatalf("an instance not tagged as a Lazarus clone got %d DeleteDBInstance", n)
	}
	_, err = r.Clone(tctx(t), "orders", rdsPoint)
	nonRetryable(t, err)
	if err := r.Teardown(tctx(t), "not-an-id"); !IsRefused(err) {
		t.Fatalf("teardown of a bad ID: %v", err)
	}
}

func TestRDSErrorsRetryableOrNot(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		retry  bool
	}{
		{400, "InvalidParameterCombination", false},
		{403, "AccessDenied", false},
		{400, "InstanceQuotaExceeded", false},
		{400, "StorageQuotaExceeded", false},
		{404, "DBSubnetGroupNotFoundFault", false},
		{400, "PointInTimeRestoreNotEnabled", false},
		{400, "Throttling", true},
		{500, "InternalFailure", true},
		{503, "ServiceUnavailable", true},
		{400, "InvalidDBInstanceState", true},
	} {
		t.Run(c.code, func(t *testing.T) {
			r, srv := newTestRDS(t)
			srv.fail["RestoreDBInstanceToPointInTime"] = fakeFault{c.status, c.code, 0}
			_, err := r.Clone(tctx(t), "orders", rdsPoint)
			if err == nil || strings.Contains(err.Error(), fakeRawMessage) || !strings.Contains(err.Error(), c.code) {
				t.Fatalf("error %v: want the code, not the server's text", err)
			}
			if c.retry {
				var app *temporal.ApplicationError
				if IsRefused(err) || (errors.As(err, &app) && app.NonRetryable()) {
					t.Fatalf("%s must be retryable: %v", c.code, err)
				}
				return
			}
			nonRetryable(t, err)
		})
	}
}

func TestRDSClonesListsTaggedInstances(t *testing.T) {
	r, srv := newTestRDS(t)
	srv.script = []string{"available"}
	for _, at := range []time.Time{rdsPoint, rdsPoint.Add(time.Hour)} {
		if _, err := r.Clone(tctx(t), "orders", at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Clone(tctx(t), "catalog", rdsPoint); err != nil {
		t.Fatal(err)
	}
	got, err := r.Clones(tctx(t), "orders")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != CloneID("orders", rdsPoint) || got[1].ID != CloneID("orders", rdsPoint.Add(time.Hour)) || got[0].Port != 5432 {
		t.Fatalf("Clones(orders) = %+v", got)
	}
}

func TestRDSIAMPassword(t *testing.T) {
	r, _ := newTestRDS(t)
	tok, err := r.IAMPassword(tctx(t), "orders", "lz-x.abcdefgh.eu-west-1.rds.amazonaws.com", 5432, "lazarus")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lz-x.abcdefgh.eu-west-1.rds.amazonaws.com:5432?", "Action=connect", "DBUser=lazarus",
		"X-Amz-Credential=AKIDLAZARUSTEST%2F", "%2Feu-west-1%2Frds-db%2Faws4_request", "X-Amz-Signature="} {
		if !strings.Contains(tok, want) {
			t.Errorf("token %q lacks %q", tok, want)
		}
	}
	if strings.Contains(tok, "lazarus-test-secret") {
		t.Fatal("the token carries the secret key")
	}
	_, err = r.IAMPassword(tctx(t), "catalog", "h", 5432, "lazarus")
	nonRetryable(t, err)
}

// As a pg.PasswordSource, the cloner makes tokens for the IAM cluster's
// live host and its clones' endpoints (named by RDSCloneName), and for no
// other server: those keep libpq's password sources.
func TestRDSPasswordSource(t *testing.T) {
	r, _ := newTestRDS(t)
	clone := RDSCloneName("orders-prod", rdsPoint) + ".abcdefgh.eu-west-1.rds.amazonaws.com"
	for host, want := range map[string]bool{
		clone: true,
		"orders-prod.abcdefgh.eu-west-1.rds.amazonaws.com": false, // not the described host
		RDSCloneName("catalog-aurora", rdsPoint) + ".x":    false, // catalog has no iam_auth
		"db.internal": false,
	} {
		tok, ok, err := r.Password(tctx(t), host, 5432, "lazarus")
		if err != nil || ok != want || (ok && !strings.Contains(tok, "Action=connect")) {
			t.Errorf("Password(%s) = %q, %v, %v; want ok %v", host, tok, ok, err, want)
		}
	}
	if !r.UsesIAM() {
		t.Error("UsesIAM is false with orders on iam_auth")
	}
}

func TestNewRDSClonerListsEveryProblem(t *testing.T) {
	rdsEnv(t)
	d := &platform.Description{Clusters: []platform.Cluster{
		{Name: "a", Port: 1, Backups: platform.BackupsRDS},
		{Name: "b", Port: 1, Backups: platform.BackupsRDS, RDS: &platform.RDS{InstanceIdentifier: "x", ClusterIdentifier: "y"}},
		{Name: "c", Port: 1, Backups: platform.BackupsRDS, RDS: &platform.RDS{Region: "eu-west-1", ClusterIdentifier: "y", Endpoint: "ftp://x"}},
		{Name: "d", Port: 1, Backups: platform.BackupsRDS, RDS: &platform.RDS{Region: "eu-west-1"}},
	}}
	_, err := NewRDSCloner(tctx(t), d, nil)
	if err == nil {
		t.Fatal("bad rds sections accepted")
	}
	for _, want := range []string{`cluster "a": backups is "rds" but the rds section is missing`, `cluster "b": rds.region is empty`,
		`cluster "b": rds sets both`, `cluster "c": rds.instance_class is empty`, `cluster "c": rds.endpoint "ftp://x"`, `cluster "d": rds needs`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
