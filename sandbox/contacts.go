package sandbox

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/sandbox/schema"
)

// The contacts check: the admins a batch read from its clone (`lazarus
// batch contacts`) against the truth the sandbox recorded when it deleted
// the sites (the identity store's site_admins fingerprint of each site).

// contactsTable is the identity store's table of admins (the contacts).
const contactsTable = "site_admins"

// ContactRow is one admin as `batch contacts` lists it.
type ContactRow struct {
	SiteID string
	UserID int64
	Name   string
	Email  string
	Phone  string
}

// ContactsMismatch is a site whose listed admins differ from its truth.
type ContactsMismatch struct {
	SiteID string `json:"site_id"`
	Reason string `json:"reason"`
}

// ContactsReport is the result of CheckContacts.
type ContactsReport struct {
	Sites      int                `json:"sites"`
	Admins     int                `json:"admins"`
	Mismatches []ContactsMismatch `json:"mismatches,omitempty"`
}

// OK says whether every site's admins match its truth.
func (r ContactsReport) OK() bool { return len(r.Mismatches) == 0 }

// CheckContacts compares, for each site, the admins listed (user ID,
// email, phone) with the site_admins rows of its latest truth, by
// fingerprint (the same MD5 of each row's text form the truth sums), and
// says which sites differ: an admin missing, one too many, or one whose
// email or phone is not the truth's. An admin listed without a name (no
// user row at the restore point) is a mismatch too. It only reads.
func (p *Platform) CheckContacts(ctx context.Context, sites []string, rows []ContactRow) (ContactsReport, error) {
	rep := ContactsReport{Sites: len(sites)}
	truth, err := p.loadTruth(ctx, sites, time.Time{})
	if err != nil {
		return rep, fmt.Errorf("check contacts: %w", err)
	}
	listed := map[string]fingerprint{}
	unnamed := map[string]int{}
	for _, r := range rows {
		f := listed[r.SiteID]
		f.addHash(md5sum(adminRowText(r)), 1)
		listed[r.SiteID] = f
		if strings.TrimSpace(r.Name) == "" {
			unnamed[r.SiteID]++
		}
	}
	for _, site := range sites {
		rep.Admins += int(listed[site].Rows)
		recs, ok := truth[site]
		if !ok {
			rep.Mismatches = append(rep.Mismatches, ContactsMismatch{site, "no truth recorded for the site"})
			continue
		}
		var want fingerprint
		for _, r := range recs {
			if r.store == schema.StoreIdentity {
				want = r.tables[contactsTable]
			}
		}
		got := listed[site]
		switch {
		case got != want:
			rep.Mismatches = append(rep.Mismatches, ContactsMismatch{site,
				fmt.Sprintf("%d admin(s) listed, the truth has %d, and they differ", got.Rows, want.Rows)})
		case unnamed[site] > 0:
			rep.Mismatches = append(rep.Mismatches, ContactsMismatch{site, fmt.Sprintf("%d admin(s) without a name", unnamed[site])})
		}
	}
	sort.Slice(rep.Mismatches, func(i, j int) bool { return rep.Mismatches[i].SiteID < rep.Mismatches[j].SiteID })
	return rep, nil
}

// adminRowText is the text form PostgreSQL gives a site_admins row
// (t::text: the record (site_id,user_id,email,phone)), which the truth
// hashes.
func adminRowText(r ContactRow) string {
	return "(" + strings.Join([]string{recordField(r.SiteID), strconv.FormatInt(r.UserID, 10),
		recordField(r.Email), recordField(r.Phone)}, ",") + ")"
}

// recordField quotes a text field as PostgreSQL's record output does: in
// double quotes when it is empty or holds a quote, a backslash, a
// parenthesis, a comma or a space, with quotes and backslashes doubled.
func recordField(s string) string {
	if s != "" && !strings.ContainsAny(s, "\"\\(), \t\n\r\v\f") {
		return s
	}
	r := strings.NewReplacer(`"`, `""`, `\`, `\\`)
	return `"` + r.Replace(s) + `"`
}
