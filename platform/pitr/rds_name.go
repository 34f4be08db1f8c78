package pitr

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// The tags that mark an RDS instance or Aurora cluster as a Lazarus clone.
// Teardown deletes only a resource whose TagRDSClone is the clone's ID.
const (
	TagRDSClone   = "lazarus:clone"   // the clone ID (<cluster>-<unix ns>)
	TagRDSCluster = "lazarus:cluster" // the cluster's name in the description
	TagRDSPoint   = "lazarus:point"   // the point, RFC 3339 with nanoseconds
	TagRDSSource  = "lazarus:source"  // the instance or Aurora cluster cloned
)

// rdsSourceMax is the longest part of the source identifier kept in a
// clone's name: "lz-" + 34 + "-" + 15 (time) + "-" + 8 (hash) = 62 <= 63.
const rdsSourceMax = 34

// RDSCloneName is the deterministic identifier of the RDS instance (and
// Aurora cluster) that clones source at t: "lz-<source>-<yyyymmddThhmmss>-<hash>",
// lowercase, at most 63 characters, starting with a letter, with no double
// or trailing hyphen (RDS's rules). The hash (of the whole source
// identifier and t to the nanosecond) keeps two points in the same second,
// or two long sources with the same start, apart.
func RDSCloneName(source string, t time.Time) string {
	t = t.UTC()
	sum := sha256.Sum256([]byte(source + "|" + strconv.FormatInt(t.UnixNano(), 10)))
	return "lz-" + rdsSlug(source) + "-" + strings.ToLower(t.Format("20060102T150405")) + "-" + hex.EncodeToString(sum[:4])
}

// rdsSlug keeps lowercase letters and digits of s, other runs becoming one
// hyphen, at most rdsSourceMax characters, never empty.
func rdsSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > rdsSourceMax {
		out = strings.TrimRight(out[:rdsSourceMax], "-")
	}
	if out == "" {
		return "db"
	}
	return out
}

// rdsTags are the tags of a clone's resources.
func rdsTags(c rdsCluster, id string, t time.Time) []types.Tag {
	return []types.Tag{
		{Key: aws.String(TagRDSClone), Value: aws.String(id)},
		{Key: aws.String(TagRDSCluster), Value: aws.String(c.Name)},
		{Key: aws.String(TagRDSPoint), Value: aws.String(t.UTC().Format(time.RFC3339Nano))},
		{Key: aws.String(TagRDSSource), Value: aws.String(c.source())},
	}
}

// tagValue is the value of key in tags ("" when absent).
func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// ownedBy reports whether tags mark a resource as the clone id.
func ownedBy(tags []types.Tag, id string) bool { return tagValue(tags, TagRDSClone) == id }
