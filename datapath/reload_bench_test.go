package datapath

import (
	"runtime"
	"testing"
	"time"
)

// The reload of a 500-port topology (reload_big_test.go) that differs
// from the running one by a port added and one removed: vm-499 and
// vm-500 (both db ports) take turns, so every reload changes something.
//
//	go test ./datapath -run '^$' -bench Reload500 -benchtime 30x

// big500Turns are the two variants the benchmarks alternate between.
func big500Turns() [2]big500 {
	return [2]big500{
		{without: map[int]bool{499: true}, extra: []int{500}},
		{},
	}
}

// BenchmarkReload500 measures Node.Reload alone: each spec is resolved
// beforehand, with the timer stopped and the garbage of loading collected (a spec is the node's once applied,
// so every reload gets one of its own).
func BenchmarkReload500(b *testing.B) {
	n, _ := bigNode(b)
	var paths [2]string
	for i, o := range big500Turns() {
		paths[i] = o.write(b, b.TempDir())
	}
	b.ReportAllocs()
	var took time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		spec := loadForReload(b, n, paths[i%2])
		runtime.GC() // the loading's garbage is not the reload's
		b.StartTimer()
		start := time.Now()
		res, err := n.Reload(spec)
		took += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.PortsAdded) != 1 || len(res.PortsRemoved) != 1 {
			b.Fatalf("reload: %+v", res)
		}
	}
	b.ReportMetric(float64(took.Microseconds())/1000/float64(b.N), "ms/reload")
}

// BenchmarkReload500Load measures what neutrino reload does: load and
// validate the file, resolve the node (keeping its local VLANs), apply.
func BenchmarkReload500Load(b *testing.B) {
	n, _ := bigNode(b)
	var paths [2]string
	for i, o := range big500Turns() {
		paths[i] = o.write(b, b.TempDir())
	}
	b.ReportAllocs()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		res, err := n.Reload(loadForReload(b, n, paths[i%2]))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.PortsAdded) != 1 || len(res.PortsRemoved) != 1 {
			b.Fatalf("reload: %+v", res)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/reload")
}
