package sandbox

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A fingerprint sums the MD5s of a set of rows (each row in a canonical
// text form with the site ID normalised), so it does not depend on row
// order or on which shard holds a row, and rows can be added or taken away
// (traffic, listed apps) by arithmetic.
type fingerprint struct {
	Rows int64  `json:"rows"`
	A    uint64 `json:"a"`
	B    uint64 `json:"b"`
}

func (f *fingerprint) addHash(h [16]byte, sign int64) {
	a, b := binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:])
	if sign > 0 {
		f.Rows++
		f.A += a
		f.B += b
	} else {
		f.Rows--
		f.A -= a
		f.B -= b
	}
}

func (f *fingerprint) addHex(hexHash string, sign int64) error {
	raw, err := hex.DecodeString(hexHash)
	if err != nil || len(raw) != 16 {
		return fmt.Errorf("fingerprint: %q is not an MD5", hexHash)
	}
	var h [16]byte
	copy(h[:], raw)
	f.addHash(h, sign)
	return nil
}

func (f *fingerprint) add(o fingerprint) {
	f.Rows += o.Rows
	f.A += o.A
	f.B += o.B
}

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

// mod64 reduces a decimal sum (from PostgreSQL numeric) modulo 2^64.
func mod64(dec string) (uint64, error) {
	n, ok := new(big.Int).SetString(dec, 10)
	if !ok {
		return 0, fmt.Errorf("fingerprint: %q is not a number", dec)
	}
	return new(big.Int).Mod(n, two64).Uint64(), nil
}

// storeFP is one store's fingerprint: per table.
type storeFP map[string]fingerprint

func (s storeFP) rows() int64 {
	var n int64
	for _, f := range s {
		n += f.Rows
	}
	return n
}

// checksum is the store's canonical checksum: MD5 over its non-empty
// tables' fingerprints in name order.
func (s storeFP) checksum() string {
	names := make([]string, 0, len(s))
	for t, f := range s {
		if f.Rows != 0 {
			names = append(names, t)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, t := range names {
		f := s[t]
		fmt.Fprintf(&b, "%s %d %016x %016x\n", t, f.Rows, f.A, f.B)
	}
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// diff describes how now differs from truth ("" when equal).
func diffStore(truth, now storeFP) string {
	names := map[string]bool{}
	for t := range truth {
		names[t] = true
	}
	for t := range now {
		names[t] = true
	}
	sorted := make([]string, 0, len(names))
	for t := range names {
		sorted = append(sorted, t)
	}
	sort.Strings(sorted)
	var parts []string
	for _, t := range sorted {
		a, b := truth[t], now[t]
		switch {
		case a == b:
		case a.Rows != b.Rows:
			parts = append(parts, fmt.Sprintf("%s: %d rows now, %d in truth", t, b.Rows, a.Rows))
		default:
			parts = append(parts, fmt.Sprintf("%s: %d rows, content differs", t, b.Rows))
		}
	}
	return strings.Join(parts, "; ")
}

// addFingerprintRows adds rows of (site, rows, a, b), as the fingerprint
// queries of truth.go and checksums.go answer them, to out under tt's store
// and table; it closes rows.
func addFingerprintRows(rows pgx.Rows, tt truthTable, out siteFPs) error {
	defer rows.Close()
	for rows.Next() {
		var site, a, b string
		var n int64
		if err := rows.Scan(&site, &n, &a, &b); err != nil {
			return err
		}
		f := fingerprint{Rows: n}
		var err error
		if f.A, err = mod64(a); err == nil {
			f.B, err = mod64(b)
		}
		if err != nil {
			return err
		}
		out.add(site, tt.store, tt.table, f)
	}
	return rows.Err()
}
