package sandbox

import "testing"

// TestAdminRowText: the text form PostgreSQL's record output gives a
// site_admins row (what the truth hashes); quoting as record_out does.
func TestAdminRowText(t *testing.T) {
	for _, c := range []struct {
		r    ContactRow
		want string
	}{
		{ContactRow{SiteID: "s1", UserID: 3, Email: "user3@abc.example.test", Phone: "+1-555-0042"}, "(s1,3,user3@abc.example.test,+1-555-0042)"},
		{ContactRow{SiteID: "s1", UserID: 1, Email: "a@b", Phone: ""}, `(s1,1,a@b,"")`},
		{ContactRow{SiteID: "s1", UserID: 1, Email: `x "y"\z`, Phone: "1, 2"}, `(s1,1,"x ""y""\\z","1, 2")`},
		{ContactRow{SiteID: "s1", UserID: 1, Email: "(a)", Phone: "-"}, `(s1,1,"(a)",-)`},
	} {
		if got := adminRowText(c.r); got != c.want {
			t.Errorf("%+v: %s, want %s", c.r, got, c.want)
		}
	}
}
