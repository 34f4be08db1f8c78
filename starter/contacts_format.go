package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lazarus-dr/lazarus/contract"
)

// Formats of `batch contacts`.
const (
	contactsCSV  = "csv"
	contactsJSON = "json"
)

// contactsHeader are the CSV columns of `batch contacts`.
var contactsHeader = []string{"site_id", "name", "email", "phone", "user_id", "restore_point"}

func parseContactsFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case contactsCSV, contactsJSON:
		return f, nil
	}
	return "", fmt.Errorf("--format %q: want csv or json", s)
}

// writeContacts prints the contacts as CSV (a header, then one row per
// admin) or as the JSON of the result (sites without admins included).
func writeContacts(w io.Writer, format string, res contract.ContactsResult) error {
	if format == contactsJSON {
		if res.Contacts == nil {
			res.Contacts = []contract.Contact{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("write contacts as JSON: %w", err)
		}
		return nil
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(contactsHeader)
	for _, c := range res.Contacts {
		_ = cw.Write([]string{c.SiteID, c.Name, c.Email, c.Phone, strconv.FormatInt(c.UserID, 10),
			c.RestorePoint.UTC().Format(time.RFC3339Nano)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write contacts as CSV: %w", err)
	}
	return nil
}

// contactsSummary is the line printed on stderr after the contacts.
func contactsSummary(res contract.ContactsResult, sites int) string {
	line := fmt.Sprintf("batch %s: %d admin(s) of %d site(s), read from %d clone(s) (%s)",
		res.BatchID, len(res.Contacts), sites-len(res.NoContacts), len(res.Clones), strings.Join(res.Clones, ", "))
	if n := len(res.NoContacts); n > 0 {
		line += fmt.Sprintf("; %d site(s) had no admin at their restore point: %s", n, strings.Join(res.NoContacts, ", "))
	}
	return line
}
