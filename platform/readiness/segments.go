package readiness

import "strconv"

// segmentsBetween is how many WAL segments file b is after file a (names
// such as 000000010000000A000000FF: timeline, log, segment), for segments
// of segSize bytes. Files of different timelines, or names that do not
// parse, count 0.
func segmentsBetween(a, b string, segSize int64) int64 {
	na, oka := segmentNumber(a, segSize)
	nb, okb := segmentNumber(b, segSize)
	if !oka || !okb || a[:8] != b[:8] {
		return 0
	}
	return nb - na
}

// segmentNumber is a WAL file's segment number since the start of WAL.
func segmentNumber(name string, segSize int64) (int64, bool) {
	if len(name) != 24 || segSize <= 0 {
		return 0, false
	}
	log, err1 := strconv.ParseInt(name[8:16], 16, 64)
	seg, err2 := strconv.ParseInt(name[16:24], 16, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return log*(0x1_0000_0000/segSize) + seg, true
}
