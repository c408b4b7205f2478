package netnstest

import (
	"context"
	"testing"
)

// Veth creates a veth pair with unique names (veXXXXXX / vpXXXXXX), puts
// its first end in ends[0] and its second in ends[1] (a missing or nil NS
// means the host's namespace), brings both up, and returns their names.
// The pair is deleted when the test ends (if its namespace is not deleted
// first, which removes it too).
func Veth(t testing.TB, ends ...*NS) (a, b string) {
	t.Helper()
	RequireRoot(t)
	var nsA, nsB *NS
	if len(ends) > 0 {
		nsA = ends[0]
	}
	if len(ends) > 1 {
		nsB = ends[1]
	}
	s := suffix()
	a, b = "ve"+s, "vp"+s
	args := []string{"ip", "link", "add", "name", a}
	if nsA != nil {
		args = append(args, "netns", nsA.Name)
	}
	args = append(args, "type", "veth", "peer", "name", b)
	if nsB != nil {
		args = append(args, "netns", nsB.Name)
	}
	if _, err := Run(context.Background(), args...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Fails harmlessly when the namespace holding a went first.
		_, _ = Run(context.Background(), inNS(nsA, "ip", "link", "del", a)...)
	})
	Exec(t, inNS(nsA, "ip", "link", "set", a, "up")...)
	Exec(t, inNS(nsB, "ip", "link", "set", b, "up")...)
	return a, b
}

// inNS prefixes args with `ip netns exec` unless ns is nil (the host).
func inNS(ns *NS, args ...string) []string {
	if ns == nil {
		return args
	}
	return ns.cmd(args)
}
