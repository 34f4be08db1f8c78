package platform

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// good is a small description that passes.
const good = `name: small
retention: 720h
clusters:
  - name: products
    host: 127.0.0.1
    port: 5432
    user: postgres
    backup_dir: /b
    wal_archive: /w
stores:
  - name: shard_1
    cluster: products
    database: shard_1
    kind: product
    tenant_column: site_id
    tables:
      - name: jira_issues
media:
  endpoint: http://127.0.0.1:9000
  bucket: media
services:
  catalog: http://127.0.0.1:8080
webhooks:
  - name: ticketing
    url: https://tickets.example.com/hook
    timeout: 10s
`

// lines parses text as file "platform.yaml" and returns its problems'
// lines (nil when it parsed).
func lines(t *testing.T, text string) []string {
	t.Helper()
	_, err := Parse("platform.yaml", []byte(text))
	if err == nil {
		return nil
	}
	var l ProblemList
	if !errors.As(err, &l) {
		t.Fatalf("error is %T, not a ProblemList: %v", err, err)
	}
	if got := strings.Split(err.Error(), "\n"); len(got) != len(l) {
		t.Fatalf("the error prints %d lines for %d problems:\n%s", len(got), len(l), err)
	}
	out := make([]string, len(l))
	for i, p := range l {
		out[i] = p.Error()
	}
	return out
}

func want(t *testing.T, got []string, exp ...string) {
	t.Helper()
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(exp, "\n  "))
	}
}

func TestParseGood(t *testing.T) {
	d, err := Parse("platform.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "small" || d.Retention.Hours() != 720 || d.Clusters[0].Port != 5432 || d.Webhooks[0].Timeout.Seconds() != 10 {
		t.Errorf("decoded %+v", d)
	}
}

func TestParseUnknownField(t *testing.T) {
	text := strings.Replace(good, "    wal_archive: /w", "    wal_archve: /w", 1)
	want(t, lines(t, text),
		`platform.yaml:9:5: unknown field "wal_archve" in cluster "products" (did you mean "wal_archive"?)`)
}

func TestParseUnknownFieldFarFromAny(t *testing.T) {
	text := strings.Replace(good, "  bucket: media", "  bucket: media\n  colour: blue", 1)
	got := lines(t, text)
	if len(got) != 1 || !strings.HasPrefix(got[0], `platform.yaml:21:3: unknown field "colour" in media (known fields: `) ||
		!strings.Contains(got[0], "site_prefix") {
		t.Errorf("problems: %q", got)
	}
}

func TestParseWrongTypes(t *testing.T) {
	text := strings.NewReplacer(
		"port: 5432", "port: fivefour",
		"retention: 720h", "retention: 30",
		"    tables:\n      - name: jira_issues", "    tables: jira_issues",
		"timeout: 10s", "timeout: soon",
		"services:\n  catalog: http://127.0.0.1:8080", "services: [catalog]",
	).Replace(good)
	want(t, lines(t, text),
		`platform.yaml:2:12: retention: want a duration such as 720h or 30m, got "30"`,
		`platform.yaml:6:11: port of cluster "products": want a whole number, got "fivefour"`,
		`platform.yaml:16:13: tables of store "shard_1": want a list, got "jira_issues"`,
		`platform.yaml:20:11: services: want a mapping of fields, got a list`,
		`platform.yaml:24:14: timeout of webhook "ticketing": "soon" is not a duration (write it like 720h or 30m)`)
}

func TestParseMissingRequired(t *testing.T) {
	text := strings.NewReplacer(
		"    port: 5432\n", "",
		"    tenant_column: site_id\n", "    tenant_column: \"\"\n",
		"  - name: ticketing\n    url:", "  - url:",
	).Replace(good)
	want(t, lines(t, text),
		`platform.yaml:4:5: missing required field "port" in cluster "products"`,
		`platform.yaml:14:5: required field "tenant_column" in store "shard_1" is empty`,
		`platform.yaml:23:5: missing required field "name" in webhooks[0]`)
}

func TestParseMissingTopLevel(t *testing.T) {
	want(t, lines(t, "retention: 720h\n"),
		`platform.yaml:1:1: missing required field "name" in the platform description`)
}

func TestParseManyAtOnceInFileOrder(t *testing.T) {
	text := strings.NewReplacer(
		"name: small", "nmae: small",
		"port: 5432", "port: \"5432\"",
		"      - name: jira_issues", "      - name: jira_issues\n        remap_column: [x]",
		"  bucket: media", "  bukcet: media",
	).Replace(good)
	want(t, lines(t, text),
		`platform.yaml:1:1: unknown field "nmae" in the platform description (did you mean "name"?)`,
		`platform.yaml:1:1: missing required field "name" in the platform description`,
		`platform.yaml:6:11: port of cluster "products": want a whole number, got "5432"`,
		`platform.yaml:18:9: unknown field "remap_column" in table "jira_issues" of store "shard_1" (did you mean "remap_columns"?)`,
		`platform.yaml:21:3: unknown field "bukcet" in media (did you mean "bucket"?)`)
}

func TestParseRefusesSecrets(t *testing.T) {
	text := strings.NewReplacer(
		"    user: postgres", "    user: postgres\n    password: hunter2",
		"  bucket: media", "  bucket: media\n  secret_key: s3cr3t",
	).Replace(good)
	want(t, lines(t, text),
		`platform.yaml:8:5: field "password" in cluster "products": secrets are never in the platform description; `+
			`the worker reads the password from the cluster's passfile, or PGPASSFILE, PGPASSWORD or ~/.pgpass in its environment (IAM authentication for RDS)`,
		`platform.yaml:22:3: field "secret_key" in media: secrets are never in the platform description; `+
			`the worker takes S3 keys from the media's credentials_file and profile, or the AWS default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in its environment, SSO, IRSA)`)
}

func TestParseDuplicateKey(t *testing.T) {
	text := strings.Replace(good, "    port: 5432", "    port: 5432\n    port: 5433", 1)
	got := lines(t, text)
	want(t, got, `platform.yaml:7:5: field "port" given twice in cluster "products" (first at line 6)`)
}

func TestParseSyntaxError(t *testing.T) {
	got := lines(t, "name: x\nclusters: [\n")
	if len(got) != 1 || !strings.HasPrefix(got[0], "platform.yaml:") || !strings.Contains(got[0], "not YAML") {
		t.Errorf("problems: %q", got)
	}
}

func TestParseEmpty(t *testing.T) {
	want(t, lines(t, ""), "platform.yaml:1:1: the platform description is empty")
}

// Validate's checks come after the strict walk's, with the position of the
// field they name.
func TestParseSemanticChecksArePositioned(t *testing.T) {
	text := strings.NewReplacer(
		"    cluster: products", "    cluster: nowhere",
		"    port: 5432", "    port: 0\n    backups: tape\n    sslmode: sometimes",
	).Replace(good)
	want(t, lines(t, text),
		`platform.yaml:6:11: cluster "products": port 0 is not a port`,
		`platform.yaml:7:14: cluster "products": backups "tape" is not a backup kind (want local, pgbackrest or rds)`,
		`platform.yaml:8:14: cluster "products": sslmode "sometimes" is not one of libpq's (disable, allow, prefer, require, verify-ca, verify-full)`,
		`platform.yaml:14:14: store "shard_1": cluster "nowhere" is not described`)
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(good, "wal_archive", "wal_archve", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":9:5: unknown field") {
		t.Errorf("Load: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml")); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("Load of a missing file: %v", err)
	}
}
