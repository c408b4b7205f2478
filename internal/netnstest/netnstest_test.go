package netnstest

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestIfName(t *testing.T) {
	a, b := IfName("averyverylongprefix"), IfName("tap")
	if len(a) > maxIfName || len(b) > maxIfName || a == IfName("averyverylongprefix") {
		t.Fatalf("IfName: %q %q", a, b)
	}
	if !strings.HasPrefix(b, "tap") || len(b) != 9 {
		t.Fatalf("IfName(tap) = %q", b)
	}
}

func TestNamespaces(t *testing.T) {
	RequireRoot(t)
	RequireTool(t, "ping")
	a, b := New(t, "nt"), New(t, "nt")
	if a.Name == b.Name || !strings.HasPrefix(a.Name, "nt-") || len(a.Name) != 9 {
		t.Fatalf("names %q %q", a.Name, b.Name)
	}
	va, vb := Veth(t, a, b)
	a.Exec("ip", "addr", "add", "10.99.250.1/24", "dev", va)
	b.Exec("ip", "addr", "add", "10.99.250.2/24", "dev", vb)
	out := a.Exec("ping", "-c", "1", "-W", "2", "10.99.250.2")
	t.Logf("%s", strings.TrimSpace(out))

	// Go code in a namespace sees its interfaces, not the host's.
	err := a.Do(func() error {
		_, err := net.InterfaceByName(va)
		return err
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if _, err := net.InterfaceByName(va); err == nil {
		t.Fatalf("%s visible in the host's namespace", va)
	}

	// A command is bounded by its context.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := a.Run(ctx, "sleep", "10"); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("sleep 10 with a 200ms context: %v after %v", err, time.Since(start))
	}

	// A background process is killed at cleanup; Wait bounds it.
	p := b.Start(context.Background(), "sleep", "30")
	if err := p.Wait(100 * time.Millisecond); err == nil {
		t.Fatal("Wait on sleep 30 returned without error")
	}
	b.Start(context.Background(), "sleep", "30") // left for the cleanup
}

func TestCleanupRemovesNamespace(t *testing.T) {
	RequireRoot(t)
	var name string
	t.Run("inner", func(t *testing.T) {
		ns := New(t, "nt")
		name = ns.Name
		ns.Start(context.Background(), "sleep", "30")
		Veth(t, ns)
	})
	if _, err := os.Stat("/var/run/netns/" + name); !os.IsNotExist(err) {
		t.Fatalf("namespace %s still there after cleanup: %v", name, err)
	}
}
