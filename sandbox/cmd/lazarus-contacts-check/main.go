// Command lazarus-contacts-check checks the admins `lazarus batch contacts
// BATCH --format csv` listed against the sandbox's truth (the site_admins
// rows each site had when the sandbox deleted it): the demo's proof that
// the contacts read from the restore point are the right people.
//
//	lazarus-contacts-check --contacts contacts.csv --ids-file deleted-sites.txt [--state DIR]
//
// Exit 0 when every listed site matches, 1 when one differs, 2 on bad input.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/lazarus-dr/lazarus/sandbox"
)

func main() {
	state := flag.String("state", sandbox.DefaultStateDir(""), "sandbox state folder (default: $LAZARUS_STATE/sandbox)")
	contacts := flag.String("contacts", "", "CSV written by `lazarus batch contacts --format csv`")
	idsFile := flag.String("ids-file", "", "the sites that must be listed, one ID a line")
	flag.Parse()
	if *contacts == "" || *idsFile == "" {
		fmt.Fprintln(os.Stderr, "lazarus-contacts-check: --contacts and --ids-file are required")
		os.Exit(2)
	}
	os.Exit(run(context.Background(), *state, *contacts, *idsFile, os.Stdout))
}

func run(ctx context.Context, state, contactsFile, idsFile string, out io.Writer) int {
	sites, err := readIDs(idsFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lazarus-contacts-check: %v\n", err)
		return 2
	}
	rows, err := readContacts(contactsFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lazarus-contacts-check: %v\n", err)
		return 2
	}
	p, err := sandbox.Open(ctx, state, zap.NewNop())
	if err != nil {
		fmt.Fprintf(os.Stderr, "lazarus-contacts-check: %v\n", err)
		return 2
	}
	defer p.Close()
	rep, err := p.CheckContacts(ctx, sites, rows)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lazarus-contacts-check: %v\n", err)
		return 2
	}
	if rep.OK() {
		fmt.Fprintf(out, "contacts check: OK: the %d admins listed for %d sites match the truth of every site\n", rep.Admins, rep.Sites)
		return 0
	}
	fmt.Fprintf(out, "contacts check: FAILED: %d of %d sites differ from their truth\n", len(rep.Mismatches), rep.Sites)
	for i, m := range rep.Mismatches {
		if i == 20 {
			fmt.Fprintf(out, "  ... and %d more\n", len(rep.Mismatches)-i)
			break
		}
		fmt.Fprintf(out, "  %s: %s\n", m.SiteID, m.Reason)
	}
	return 1
}

func readIDs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no site", path)
	}
	return out, nil
}

// readContacts reads the CSV by its header's column names.
func readContacts(path string) ([]sandbox.ContactRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, errors.New(path + " is empty (no CSV header)")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, need := range []string{"site_id", "user_id", "name", "email", "phone"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%s: no column %q in the header %v", path, need, recs[0])
		}
	}
	var out []sandbox.ContactRow
	for n, r := range recs[1:] {
		uid, err := strconv.ParseInt(r[col["user_id"]], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: user_id %q is not a number", path, n+2, r[col["user_id"]])
		}
		out = append(out, sandbox.ContactRow{SiteID: r[col["site_id"]], UserID: uid, Name: r[col["name"]],
			Email: r[col["email"]], Phone: r[col["phone"]]})
	}
	return out, nil
}
