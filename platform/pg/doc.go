// Package pg runs PostgreSQL clusters for Lazarus and its sandbox: initdb,
// start, stop, WAL archiving, base backups, forced WAL switches, and
// connection strings. It knows the pitfalls measured on these machines
// (DESIGN.md section 5): initdb refuses root, so every program runs as the
// cluster's OS user (runuser when root) and every directory PostgreSQL writes
// is owned by that user; every cluster gets its own port and socket folder.
//
// It must never know about tenants, sites or restores: that is package pitr's
// business. It must never listen on anything but 127.0.0.1.
package pg
