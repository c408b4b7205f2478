package netnstest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireRoot skips the test unless it runs as root with the ip command of
// iproute2 available, which every helper here needs.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("integration: needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("integration: needs the ip command (iproute2) to create network namespaces")
	}
}

// RequireTool skips the test when the named binary (iperf3, ping, tcpdump,
// ...) is not on PATH, and returns its path otherwise.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("integration: needs %s, which is not installed", name)
	}
	return p
}
