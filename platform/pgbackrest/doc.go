// Package pgbackrest drives pgBackRest (Debian's pgbackrest package), the
// backup tool a real platform may already run: it writes a pgbackrest.conf
// for a repository on S3 (over TLS) or a posix folder, and runs
// stanza-create, backup, info and restore as the cluster's OS user.
//
// It knows nothing of tenants or clones: platform/pitr makes clones with
// it, and the sandbox backs its clusters up with it.
package pgbackrest
