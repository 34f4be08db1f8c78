package report

import (
	"regexp"
	"strings"
)

// The people to tell: the report links to the command that lists each
// affected site's admins (name and email, read from the restore point), for
// support and communications.

// shellWord is a batch ID the shell passes as one word as it is.
var shellWord = regexp.MustCompile(`^[A-Za-z0-9._:/@%+=,-]+$`)

// contactsCommand is the command that lists the people to tell.
func contactsCommand(batchID string) string {
	id := batchID
	switch {
	case id == "":
		id = "BATCH"
	case !shellWord.MatchString(id):
		id = "'" + strings.ReplaceAll(id, "'", `'\''`) + "'"
	}
	return "lazarus batch contacts " + id + " --format csv"
}
