package pitr

import (
	"errors"
	"testing"
)

func TestIdentityAcceptsOnlyThePausedClone(t *testing.T) {
	cases := []struct {
		name, said string
		recovery   bool
		ok         bool
	}{
		{"the clone", "products-1", true, true},
		{"a clone from before clones carried their ID", "", true, true},
		{"another clone on the same address", "products-2", true, false},
		{"a live primary on the same address", "", false, false},
		{"a live primary named like the clone", "products-1", false, false},
	}
	for _, c := range cases {
		err := identity("products-1", c.said, c.recovery)
		if c.ok != (err == nil) {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrCloneGone) {
			t.Errorf("%s: %v does not wrap ErrCloneGone", c.name, err)
		}
	}
}
