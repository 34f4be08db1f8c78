package runbooks

import (
	"embed"
	"fmt"
	"os"
	"sort"
)

//go:embed restore1.yaml restore2.yaml
var embedded embed.FS

var defaultFiles = map[string]string{
	"restore1": "restore1.yaml",
	"restore2": "restore2.yaml",
}

// Defaults returns the names of the embedded default runbooks, sorted.
func Defaults() []string {
	out := make([]string, 0, len(defaultFiles))
	for k := range defaultFiles {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IsDefault reports whether name is the name of an embedded default runbook.
func IsDefault(name string) bool { _, ok := defaultFiles[name]; return ok }

// DefaultSource returns the file name and source of an embedded default.
func DefaultSource(name string) (string, []byte, error) {
	f, ok := defaultFiles[name]
	if !ok {
		return "", nil, fmt.Errorf("no default runbook %q (defaults: %v)", name, Defaults())
	}
	src, err := embedded.ReadFile(f)
	if err != nil {
		return "", nil, fmt.Errorf("read embedded runbook %s: %w", f, err)
	}
	return f, src, nil
}

// Default returns the compiled plan of the embedded default runbook name
// ("restore1" or "restore2"). Each call returns a fresh plan.
func Default(name string) (*Plan, error) {
	f, src, err := DefaultSource(name)
	if err != nil {
		return nil, err
	}
	return Compile(f, src)
}

// Source returns the file name (for problems) and source of nameOrPath: the
// name of an embedded default, or a file path.
func Source(nameOrPath string) (string, []byte, error) {
	if IsDefault(nameOrPath) {
		return DefaultSource(nameOrPath)
	}
	src, err := os.ReadFile(nameOrPath)
	if err != nil {
		return "", nil, fmt.Errorf("load runbook %q (not a default either: %v): %w", nameOrPath, Defaults(), err)
	}
	return nameOrPath, src, nil
}

// Load compiles the runbook nameOrPath: "restore1"/"restore2" (embedded) or a
// file path, which overrides the defaults.
func Load(nameOrPath string) (*Plan, error) {
	f, src, err := Source(nameOrPath)
	if err != nil {
		return nil, err
	}
	return Compile(f, src)
}
