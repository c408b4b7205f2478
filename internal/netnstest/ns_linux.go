package netnstest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/vishvananda/netns"
)

// NS is a network namespace created for one test and deleted when the test
// ends.
type NS struct {
	// Name is the namespace's name under /var/run/netns, for `ip netns
	// exec` and `ip link set ... netns`.
	Name string

	t     testing.TB
	mu    sync.Mutex
	procs []*Proc
}

// New creates a network namespace named prefix-xxxxxx (6 random hex
// digits), with its loopback up, and registers its removal with
// t.Cleanup: the processes started in it are killed, then the namespace is
// deleted (and with it the interfaces in it, veth peers included). It
// fails the test if the namespace cannot be created.
func New(t testing.TB, prefix string) *NS {
	t.Helper()
	RequireRoot(t)
	if prefix == "" {
		prefix = "nt"
	}
	ns := &NS{Name: prefix + "-" + suffix(), t: t}
	if _, err := Run(context.Background(), "ip", "netns", "add", ns.Name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.remove)
	ns.Exec("ip", "link", "set", "lo", "up")
	return ns
}

// Run runs a command in the namespace (through `ip netns exec`) and
// returns its combined output, bounded by ctx and DefaultTimeout.
func (ns *NS) Run(ctx context.Context, args ...string) (string, error) {
	return Run(ctx, ns.cmd(args)...)
}

// Exec runs a command in the namespace like Run and fails the test if it
// fails.
func (ns *NS) Exec(args ...string) string {
	ns.t.Helper()
	out, err := ns.Run(context.Background(), args...)
	if err != nil {
		ns.t.Fatal(err)
	}
	return out
}

// Start starts a command in the namespace in the background (a server:
// iperf3 -s, tcpdump). It is killed when ctx is done, or when the test
// ends, whichever comes first. Start fails the test if the command cannot
// be started.
func (ns *NS) Start(ctx context.Context, args ...string) *Proc {
	ns.t.Helper()
	p, err := start(ctx, ns.cmd(args))
	if err != nil {
		ns.t.Fatal(err)
	}
	ns.mu.Lock()
	ns.procs = append(ns.procs, p)
	ns.mu.Unlock()
	return p
}

// Do runs fn on an OS thread switched into the namespace, for Go code that
// must create its sockets there (an AF_PACKET socket on an interface of the
// namespace). Goroutines fn starts do not inherit the namespace. The
// thread is switched back afterwards; if that fails it stays locked to the
// goroutine and the runtime retires it.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netnstest: current namespace: %w", err)
			return
		}
		defer orig.Close()
		h, err := netns.GetFromName(ns.Name)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netnstest: opening namespace %s: %w", ns.Name, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			// The thread may be half switched: leave it locked.
			errc <- fmt.Errorf("netnstest: entering namespace %s: %w", ns.Name, err)
			return
		}
		defer func() {
			if netns.Set(orig) == nil {
				runtime.UnlockOSThread()
			}
		}()
		errc <- fn()
	}()
	return <-errc
}

func (ns *NS) cmd(args []string) []string {
	return append([]string{"ip", "netns", "exec", ns.Name}, args...)
}

// remove kills what runs in the namespace and deletes it.
func (ns *NS) remove() {
	ns.mu.Lock()
	procs := ns.procs
	ns.procs = nil
	ns.mu.Unlock()
	for _, p := range procs {
		p.Stop()
	}
	// Anything else still in the namespace was started there by this test
	// (the name is unique): kill it, or the namespace would outlive its
	// name.
	if out, err := Run(context.Background(), "ip", "netns", "pids", ns.Name); err == nil {
		for _, f := range strings.Fields(out) {
			// Never ourselves: a thread of this process may have been
			// left in the namespace.
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if _, err := Run(context.Background(), "ip", "netns", "del", ns.Name); err != nil {
		ns.t.Errorf("removing namespace: %v", err)
	}
}
