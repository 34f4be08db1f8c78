package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
	"github.com/lazarus-dr/lazarus/runbooks"
	"github.com/lazarus-dr/lazarus/workflows"
)

func contactsFixture() contract.ContactsResult {
	at := time.Date(2026, 11, 29, 7, 38, 0, 123, time.UTC)
	return contract.ContactsResult{
		BatchID: "b1",
		Contacts: []contract.Contact{
			{SiteID: "s1", Name: "Ada, \"the\" admin", Email: "ada@s1.example.test", Phone: "+1-555-0001", UserID: 1, RestorePoint: at},
			{SiteID: "s1", Name: "", Email: "bob@s1.example.test", UserID: 2, RestorePoint: at},
			{SiteID: "s2", Name: "Chloé", Email: "c@s2.example.test", Phone: "+1-555-0003", UserID: 7, RestorePoint: at},
		},
		NoContacts: []string{"s3"},
		Clones:     []string{"platform-1"},
	}
}

// TestWriteContactsCSV: a header, one row per admin, quoting done by the
// CSV writer (a name with a comma and quotes reads back as it was).
func TestWriteContactsCSV(t *testing.T) {
	var b bytes.Buffer
	if err := writeContacts(&b, contactsCSV, contactsFixture()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, b.String())
	}
	if got := strings.Join(recs[0], ","); got != "site_id,name,email,phone,user_id,restore_point" {
		t.Fatalf("header %q", got)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want header + 3", len(recs))
	}
	want := []string{"s1", "Ada, \"the\" admin", "ada@s1.example.test", "+1-555-0001", "1", "2026-11-29T07:38:00.000000123Z"}
	if strings.Join(recs[1], "|") != strings.Join(want, "|") {
		t.Errorf("row 1 %q, want %q", recs[1], want)
	}
	if recs[3][0] != "s2" || recs[3][1] != "Chloé" || recs[3][4] != "7" {
		t.Errorf("row 3 %q", recs[3])
	}
}

// TestWriteContactsJSON: the result as it is, parseable, with an empty
// list (not null) when no admin was found.
func TestWriteContactsJSON(t *testing.T) {
	var b bytes.Buffer
	if err := writeContacts(&b, contactsJSON, contactsFixture()); err != nil {
		t.Fatal(err)
	}
	var got contract.ContactsResult
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b.String())
	}
	if len(got.Contacts) != 3 || got.Contacts[0].Name != "Ada, \"the\" admin" || got.NoContacts[0] != "s3" {
		t.Errorf("round trip: %+v", got)
	}
	b.Reset()
	if err := writeContacts(&b, contactsJSON, contract.ContactsResult{BatchID: "b"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"contacts": []`) {
		t.Errorf("empty result: %s", b.String())
	}
}

func TestParseContactsFormat(t *testing.T) {
	for in, want := range map[string]string{"csv": "csv", "JSON": "json", " json ": "json"} {
		if got, err := parseContactsFormat(in); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	if _, err := parseContactsFormat("yaml"); err == nil || !strings.Contains(err.Error(), "csv or json") {
		t.Errorf("yaml: %v", err)
	}
}

func TestContactsSummary(t *testing.T) {
	got := contactsSummary(contactsFixture(), 3)
	for _, w := range []string{"3 admin(s) of 2 site(s)", "1 clone(s) (platform-1)", "1 site(s) had no admin at their restore point: s3"} {
		if !strings.Contains(got, w) {
			t.Errorf("summary %q lacks %q", got, w)
		}
	}
}

// TestDoneClones: only finished db.clone steps, of every round, with their
// plan step's tolerance; the others are named with their status.
func TestDoneClones(t *testing.T) {
	p := workflows.BatchProgress{Lead: []workflows.LeadRound{
		{Round: 0, Steps: []workflows.StepState{
			{StepID: "clone-platform", Action: contract.ActionDBClone, Status: workflows.StepDone,
				Values: map[string]string{contract.VarCluster: "platform", contract.VarCloneIDs: "platform-1,platform-2"}},
			{StepID: "clone-products", Action: contract.ActionDBClone, Status: workflows.StepRunning},
			{StepID: "other", Action: "x.y", Status: workflows.StepDone},
		}},
		{Round: 1, Steps: []workflows.StepState{
			{StepID: "clone-platform", Action: contract.ActionDBClone, Status: workflows.StepDone,
				Values: map[string]string{contract.VarCluster: "platform", contract.VarCloneIDs: "platform-3"}},
		}},
	}}
	in := workflows.RestoreBatchInput{Plan: runbooks.Plan{Steps: []runbooks.PlanStep{
		{ID: "clone-platform", Action: contract.ActionDBClone, Params: map[string]string{"cluster": "platform", "tolerance": "2m"}},
	}}}
	done, pending := doneClones(p, in)
	if len(done) != 2 || done[0].Cluster != "platform" || strings.Join(done[0].CloneIDs, ",") != "platform-1,platform-2" ||
		done[0].Tolerance != "2m" || done[1].CloneIDs[0] != "platform-3" {
		t.Errorf("done %+v", done)
	}
	if strings.Join(pending, ";") != "clone-products running" {
		t.Errorf("pending %q", pending)
	}
}
