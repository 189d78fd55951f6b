package diskio

import "testing"

// BenchmarkMemFSUnsyncedSSTableWrite writes a 16 MiB file in 4 KiB appends
// with one Sync at the end, as an LSM flush does: far past pendingOpsMax.
func BenchmarkMemFSUnsyncedSSTableWrite(b *testing.B) {
	const fileBytes, blockBytes = 16 << 20, 4 << 10
	block := patternBytes(1, blockBytes)
	b.SetBytes(fileBytes)
	for i := 0; i < b.N; i++ {
		fs := NewMemFS(1)
		f, err := fs.Create("sst")
		if err != nil {
			b.Fatal(err)
		}
		for w := 0; w < fileBytes/blockBytes; w++ {
			if _, err := f.Write(block); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
