package contract

import "time"

// The contacts of a batch (`lazarus batch contacts`): the admins of every
// site of a batch, read from the batch's point-in-time clone of the cluster
// that holds the identity store, before the sites are restored. The
// BatchContacts workflow runs one activity, ActivityContactsRead, on the
// worker that reaches the clones.
const (
	// ActivityContactsRead reads a batch's contacts from its clone (input
	// ContactsRequest, output ContactsResult). It never writes.
	ActivityContactsRead = "contacts.read"
	// ErrCloneNotReady is the error type of a contacts read asked too
	// early (the clone of the identity store's cluster is not made yet) or
	// too late (the batch's clones are torn down): retrying the same
	// request cannot help, asking again later can.
	ErrCloneNotReady = "CloneNotReady"
)

// ContactsRequest asks for the contacts of a batch's sites.
type ContactsRequest struct {
	BatchID string `json:"batch_id"`
	// Sites are the batch's sites (their restore points decide which clone
	// serves each).
	Sites []SiteTarget `json:"sites"`
	// Clones are the batch's finished db.clone steps.
	Clones []ContactsClone `json:"clones"`
}

// ContactsClone is one finished db.clone step of a batch: its cluster, the
// clones it made (its Values' VarCloneIDs) and its tolerance param (empty:
// the default).
type ContactsClone struct {
	StepID    string   `json:"step_id"`
	Cluster   string   `json:"cluster"`
	CloneIDs  []string `json:"clone_ids"`
	Tolerance string   `json:"tolerance,omitempty"`
}

// Contact is one admin of a site at its restore point.
type Contact struct {
	SiteID string `json:"site_id"`
	// Name is the admin's user's display name (empty when the user row is
	// missing at the restore point).
	Name   string `json:"name"`
	Email  string `json:"email"`
	Phone  string `json:"phone,omitempty"`
	UserID int64  `json:"user_id"`
	// RestorePoint is the point the clone it was read from is at.
	RestorePoint time.Time `json:"restore_point"`
}

// ContactsResult is what ActivityContactsRead returns: the contacts ordered
// by site then user, and the sites that had no admin at their point.
type ContactsResult struct {
	BatchID    string    `json:"batch_id"`
	Contacts   []Contact `json:"contacts"`
	NoContacts []string  `json:"sites_without_admins,omitempty"`
	// Clones are the IDs of the clones read.
	Clones []string  `json:"clones"`
	ReadAt time.Time `json:"read_at"`
}
