package runbooks

import "testing"

// BenchmarkCompile measures parse + validate + compile of the default runbooks
// (a restore compiles its runbook once per batch; the CLI once per command).
func BenchmarkCompile(b *testing.B) {
	for _, name := range Defaults() {
		file, src, err := DefaultSource(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Compile(file, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
