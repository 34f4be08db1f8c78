package pitr

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// rdsServer is a real local HTTP server speaking the part of the RDS Query
// API the cloner uses (form-encoded POST, Action=..., XML answers, AWS's
// error codes and HTTP statuses). It records every request. A resource it
// creates shows the statuses of script, one per Describe, then its last.
type rdsServer struct {
	*httptest.Server
	mu        sync.Mutex
	requests  []url.Values
	auth      []string
	instances map[string]*fakeDB
	clusters  map[string]*fakeDB
	// script is the statuses a new instance or cluster goes through.
	script []string
	// fail answers an Action with an error (HTTP status, code) every time.
	fail map[string]fakeFault
	// window is the sources' restorable window.
	earliest, latest time.Time
}

type fakeFault struct {
	status int
	code   string
	// left is how many more answers fail (0: every one).
	left int
}

type fakeDB struct {
	id, status, engine, cluster string
	script                      []string
	tags                        [][2]string
	source                      bool
}

// fakeRawMessage is in every error the server answers: it must never reach
// an error message the cloner returns.
const fakeRawMessage = "raw-server-text-do-not-show"

func newRDSServer(t *testing.T, earliest, latest time.Time) *rdsServer {
	s := &rdsServer{instances: map[string]*fakeDB{}, clusters: map[string]*fakeDB{}, fail: map[string]fakeFault{},
		script: []string{"creating", "backing-up", "available"}, earliest: earliest, latest: latest}
	s.instances["orders-prod"] = &fakeDB{id: "orders-prod", status: "available", engine: "postgres", source: true}
	s.clusters["catalog-aurora"] = &fakeDB{id: "catalog-aurora", status: "available", engine: "aurora-postgresql", source: true}
	s.instances["catalog-aurora-1"] = &fakeDB{id: "catalog-aurora-1", status: "available", engine: "aurora-postgresql", cluster: "catalog-aurora", source: true}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// actions lists the Actions received, in order.
func (s *rdsServer) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		out = append(out, r.Get("Action"))
	}
	return out
}

// calls returns the requests of one Action.
func (s *rdsServer) calls(action string) []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []url.Values
	for _, r := range s.requests {
		if r.Get("Action") == action {
			out = append(out, r)
		}
	}
	return out
}

func (s *rdsServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := r.PostForm
	s.requests = append(s.requests, v)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	action := v.Get("Action")
	if v.Get("Version") != "2014-10-31" {
		s.fault(w, 400, "InvalidAction")
		return
	}
	if f, ok := s.fail[action]; ok {
		if f.left > 0 {
			if f.left--; f.left == 0 {
				delete(s.fail, action)
			} else {
				s.fail[action] = f
			}
		}
		s.fault(w, f.status, f.code)
		return
	}
	var body string
	var f *fakeFault
	switch action {
	case "DescribeDBInstances":
		body, f = s.describeInstances(v.Get("DBInstanceIdentifier"))
	case "DescribeDBClusters":
		body, f = s.describeClusters(v.Get("DBClusterIdentifier"))
	case "DescribeDBInstanceAutomatedBackups":
		body = s.automatedBackups(v.Get("DBInstanceIdentifier"))
	case "RestoreDBInstanceToPointInTime":
		body, f = s.restore(s.instances, v.Get("SourceDBInstanceIdentifier"), v.Get("TargetDBInstanceIdentifier"), v, "DBInstance")
	case "RestoreDBClusterToPointInTime":
		body, f = s.restore(s.clusters, v.Get("SourceDBClusterIdentifier"), v.Get("DBClusterIdentifier"), v, "DBCluster")
	case "CreateDBInstance":
		body, f = s.createInstance(v)
	case "DeleteDBInstance":
		body, f = s.delete(s.instances, v.Get("DBInstanceIdentifier"), "DBInstance")
	case "DeleteDBCluster":
		body, f = s.deleteCluster(v.Get("DBClusterIdentifier"))
	default:
		f = &fakeFault{400, "InvalidAction", 0}
	}
	if f != nil {
		s.fault(w, f.status, f.code)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><%[1]sResult>%[2]s</%[1]sResult><ResponseMetadata><RequestId>req-%[3]d</RequestId></ResponseMetadata></%[1]sResponse>`,
		action, body, len(s.requests))
}

func (s *rdsServer) fault(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-err</RequestId></ErrorResponse>`,
		typ, code, fakeRawMessage)
}

// step shows the next status of db's script.
func (db *fakeDB) step() {
	if len(db.script) > 0 {
		db.status, db.script = db.script[0], db.script[1:]
	}
}

func (s *rdsServer) describeInstances(id string) (string, *fakeFault) {
	if id != "" {
		db, ok := s.instances[id]
		if !ok {
			return "", &fakeFault{404, "DBInstanceNotFound", 0}
		}
		db.step()
		return "<DBInstances>" + s.instanceXML(db) + "</DBInstances>", nil
	}
	ids := make([]string, 0, len(s.instances))
	for id := range s.instances {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(s.instanceXML(s.instances[id]))
	}
	return "<DBInstances>" + b.String() + "</DBInstances>", nil
}

func (s *rdsServer) instanceXML(db *fakeDB) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<DBInstance><DBInstanceIdentifier>%s</DBInstanceIdentifier><DBInstanceStatus>%s</DBInstanceStatus><Engine>%s</Engine>",
		esc(db.id), esc(db.status), esc(db.engine))
	if db.cluster != "" {
		fmt.Fprintf(&b, "<DBClusterIdentifier>%s</DBClusterIdentifier>", esc(db.cluster))
	}
	if db.status == "available" || db.source {
		fmt.Fprintf(&b, "<Endpoint><Address>%s.abcdefgh.eu-west-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>", esc(db.id))
	}
	if db.source {
		fmt.Fprintf(&b, "<LatestRestorableTime>%s</LatestRestorableTime>", s.latest.Format(time.RFC3339))
	}
	b.WriteString(tagsXML(db.tags) + "</DBInstance>")
	return b.String()
}

func (s *rdsServer) describeClusters(id string) (string, *fakeFault) {
	db, ok := s.clusters[id]
	if !ok {
		return "", &fakeFault{404, "DBClusterNotFoundFault", 0}
	}
	db.step()
	return "<DBClusters>" + s.clusterXML(db) + "</DBClusters>", nil
}

func (s *rdsServer) clusterXML(db *fakeDB) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<DBCluster><DBClusterIdentifier>%s</DBClusterIdentifier><Status>%s</Status><Engine>%s</Engine>",
		esc(db.id), esc(db.status), esc(db.engine))
	if db.source {
		fmt.Fprintf(&b, "<EarliestRestorableTime>%s</EarliestRestorableTime><LatestRestorableTime>%s</LatestRestorableTime>",
			s.earliest.Format(time.RFC3339), s.latest.Format(time.RFC3339))
	}
	b.WriteString(tagsXML(db.tags) + "</DBCluster>")
	return b.String()
}

func (s *rdsServer) automatedBackups(id string) string {
	db, ok := s.instances[id]
	if !ok || !db.source {
		return "<DBInstanceAutomatedBackups></DBInstanceAutomatedBackups>"
	}
	// A retained backup of an older instance of that name (ignored), then
	// the active one.
	return fmt.Sprintf(`<DBInstanceAutomatedBackups><DBInstanceAutomatedBackup><DBInstanceIdentifier>%[1]s</DBInstanceIdentifier><Status>retained</Status><RestoreWindow><EarliestTime>%[2]s</EarliestTime><LatestTime>%[2]s</LatestTime></RestoreWindow></DBInstanceAutomatedBackup><DBInstanceAutomatedBackup><DBInstanceIdentifier>%[1]s</DBInstanceIdentifier><Status>active</Status><RestoreWindow><EarliestTime>%[3]s</EarliestTime><LatestTime>%[4]s</LatestTime></RestoreWindow></DBInstanceAutomatedBackup></DBInstanceAutomatedBackups>`,
		esc(id), s.earliest.Add(-365*24*time.Hour).Format(time.RFC3339), s.earliest.Format(time.RFC3339), s.latest.Format(time.RFC3339))
}

// restore makes target in set from source (an instance or a cluster).
func (s *rdsServer) restore(set map[string]*fakeDB, source, target string, v url.Values, kind string) (string, *fakeFault) {
	src, ok := set[source]
	if !ok {
		return "", &fakeFault{404, map[string]string{"DBInstance": "DBInstanceNotFound", "DBCluster": "DBClusterNotFoundFault"}[kind], 0}
	}
	if _, exists := set[target]; exists {
		return "", &fakeFault{400, map[string]string{"DBInstance": "DBInstanceAlreadyExists", "DBCluster": "DBClusterAlreadyExistsFault"}[kind], 0}
	}
	db := &fakeDB{id: target, status: "creating", engine: src.engine, script: append([]string(nil), s.script...), tags: formTags(v)}
	set[target] = db
	if kind == "DBInstance" {
		return s.instanceXML(db), nil
	}
	return s.clusterXML(db), nil
}

func (s *rdsServer) createInstance(v url.Values) (string, *fakeFault) {
	id, cluster := v.Get("DBInstanceIdentifier"), v.Get("DBClusterIdentifier")
	if _, exists := s.instances[id]; exists {
		return "", &fakeFault{400, "DBInstanceAlreadyExists", 0}
	}
	cl, ok := s.clusters[cluster]
	if !ok {
		return "", &fakeFault{404, "DBClusterNotFoundFault", 0}
	}
	if cl.status != "available" {
		return "", &fakeFault{400, "InvalidDBClusterStateFault", 0}
	}
	if v.Get("Engine") != cl.engine {
		return "", &fakeFault{400, "InvalidParameterCombination", 0}
	}
	db := &fakeDB{id: id, status: "creating", engine: cl.engine, cluster: cluster, script: append([]string(nil), s.script...), tags: formTags(v)}
	s.instances[id] = db
	return s.instanceXML(db), nil
}

func (s *rdsServer) delete(set map[string]*fakeDB, id, kind string) (string, *fakeFault) {
	db, ok := set[id]
	if !ok {
		return "", &fakeFault{404, map[string]string{"DBInstance": "DBInstanceNotFound", "DBCluster": "DBClusterNotFoundFault"}[kind], 0}
	}
	delete(set, id)
	db.status = "deleting"
	if kind == "DBInstance" {
		return s.instanceXML(db), nil
	}
	return s.clusterXML(db), nil
}

func (s *rdsServer) deleteCluster(id string) (string, *fakeFault) {
	for _, inst := range s.instances {
		if inst.cluster == id {
			return "", &fakeFault{400, "InvalidDBClusterStateFault", 0}
		}
	}
	return s.delete(s.clusters, id, "DBCluster")
}

// formTags reads Tags.Tag.N.Key / Value.
func formTags(v url.Values) [][2]string {
	var out [][2]string
	for i := 1; v.Has(fmt.Sprintf("Tags.Tag.%d.Key", i)); i++ {
		out = append(out, [2]string{v.Get(fmt.Sprintf("Tags.Tag.%d.Key", i)), v.Get(fmt.Sprintf("Tags.Tag.%d.Value", i))})
	}
	return out
}

func tagsXML(tags [][2]string) string {
	var b strings.Builder
	b.WriteString("<TagList>")
	for _, t := range tags {
		fmt.Fprintf(&b, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", esc(t[0]), esc(t[1]))
	}
	b.WriteString("</TagList>")
	return b.String()
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
