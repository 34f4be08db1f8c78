package s3media

import (
	"strings"
	"time"
)

// Measured pitfall (versitygw v1.8.0, posix backend): the LastModified of a
// noncurrent version is the time it was superseded (the file's mtime when it
// moved into the versioning directory, rounded to the second), not the time
// it was written. Its version IDs are ULIDs, whose first 48 bits are the
// creation time in milliseconds, so versionTime prefers that. AWS S3 version
// IDs (32 characters) and MinIO's (UUIDs) are never 26-character ULIDs, so
// there LastModified is used, which S3 defines as the creation time.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulidTime decodes the timestamp of a ULID; ok is false for anything that is
// not a ULID.
func ulidTime(id string) (time.Time, bool) {
	if len(id) != 26 {
		return time.Time{}, false
	}
	id = strings.ToUpper(id)
	var ms uint64
	for i := 0; i < 26; i++ {
		v := strings.IndexByte(crockford, id[i])
		if v < 0 {
			return time.Time{}, false
		}
		if i < 10 {
			ms = ms<<5 | uint64(v)
		}
	}
	if id[0] > '7' { // 48 bits: the first character carries only 3
		return time.Time{}, false
	}
	t := time.UnixMilli(int64(ms)).UTC()
	if t.Year() < 2000 || t.After(time.Now().Add(24*time.Hour)) {
		return time.Time{}, false
	}
	return t, true
}

// versionTime is when a version or delete marker was made.
func versionTime(versionID string, lastModified time.Time) time.Time {
	if t, ok := ulidTime(versionID); ok {
		return t
	}
	return lastModified
}
