package report

import (
	"fmt"
	"time"
)

// The customer-facing status: a few plain sentences for the status page and
// the customers' tickets, restored so far, expected data loss and the next
// update time; no step, stage or runbook names.

// DefaultNextUpdate is when the status promises the next update when
// Options.NextUpdate is not set.
const DefaultNextUpdate = time.Hour

// CustomerStatus is the short customer-facing status text and its figures.
type CustomerStatus struct {
	// AsOf is when the figures were taken (the report's GeneratedAt).
	AsOf time.Time `json:"as_of"`
	// DataLossTypical and DataLossWorst are the median and the maximum of
	// the sites' expected data loss (deletion time minus restore point).
	DataLossTypical time.Duration `json:"data_loss_typical"`
	DataLossWorst   time.Duration `json:"data_loss_worst"`
	// NextUpdate is when the next update is promised; zero when Final.
	NextUpdate time.Time `json:"next_update,omitzero"`
	// Final: the batch ended with every site restored, no update follows.
	Final bool `json:"final,omitempty"`
	// Text is the status, one sentence a line.
	Text []string `json:"text"`
}

// customerStatus writes the status of r; next is Options.NextUpdate.
func customerStatus(r Report, next time.Duration) CustomerStatus {
	s := r.Summary
	st := CustomerStatus{AsOf: r.GeneratedAt, DataLossTypical: s.DataLossMedian, DataLossWorst: s.DataLossMax}
	st.Final = !r.EndedAt.IsZero() && s.SitesTotal > 0 && s.SitesRestored == s.SitesTotal
	asOf := r.GeneratedAt.UTC().Format("2006-01-02 15:04")
	if s.SitesTotal == 0 {
		st.Text = append(st.Text, fmt.Sprintf("As of %s UTC, no affected site is listed yet.", asOf))
	} else {
		st.Text = append(st.Text, fmt.Sprintf("As of %s UTC, %d of %d affected sites (%.1f%%) are restored, covering %d of %d users (%.1f%%).",
			asOf, s.SitesRestored, s.SitesTotal, s.PctSites, s.UsersRestored, s.UsersTotal, s.PctUsers))
	}
	if n := s.SitesTotal - s.SitesRestored; n > 0 {
		st.Text = append(st.Text, fmt.Sprintf("Work continues on the remaining %s.", plural(n, "site")))
	}
	if s.DataLossMax > 0 {
		st.Text = append(st.Text, fmt.Sprintf("Each site is restored as it was shortly before its deletion: changes made in the last %s before the deletion are lost (%s at most).",
			humanDur(s.DataLossMedian), humanDur(s.DataLossMax)))
	}
	if st.Final {
		st.Text = append(st.Text, "All affected sites are restored; this is the final update.")
		return st
	}
	if next <= 0 {
		next = DefaultNextUpdate
	}
	st.NextUpdate = ceilMinute(r.GeneratedAt.Add(next)).UTC()
	st.Text = append(st.Text, fmt.Sprintf("Next update by %s UTC.", st.NextUpdate.Format("2006-01-02 15:04")))
	return st
}

// ceilMinute rounds t up to the minute: an update promised at 10:00:30 is
// promised by 10:01.
func ceilMinute(t time.Time) time.Time {
	if c := t.Truncate(time.Minute); !c.Equal(t) {
		return c.Add(time.Minute)
	}
	return t
}

// humanDur says a duration the way a customer reads it: "45 seconds", "6
// minutes", "2 hours 5 minutes", "3 days 4 hours".
func humanDur(d time.Duration) string {
	if secs := d.Round(time.Second); secs < time.Minute {
		return plural(int(secs/time.Second), "second")
	}
	mins := d.Round(time.Minute)
	switch {
	case mins < 2*time.Hour:
		return plural(int(mins/time.Minute), "minute")
	case mins < 48*time.Hour:
		h, m := int(mins/time.Hour), int(mins%time.Hour/time.Minute)
		if m == 0 {
			return plural(h, "hour")
		}
		return plural(h, "hour") + " " + plural(m, "minute")
	default:
		hours := d.Round(time.Hour)
		days, h := int(hours/(24*time.Hour)), int(hours%(24*time.Hour)/time.Hour)
		if h == 0 {
			return plural(days, "day")
		}
		return plural(days, "day") + " " + plural(h, "hour")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
