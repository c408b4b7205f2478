// Package netnstest is a small harness for integration tests that run in
// Linux network namespaces: it skips clearly when the test is not root or a
// tool is missing, creates uniquely named namespaces and veth pairs, runs
// commands in them with a bounded time, and removes everything it created
// (processes, veths, namespaces) in t.Cleanup, also when the test fails.
//
// Tests built on it never touch the interfaces, routes or firewall rules of
// the host's namespace beyond the veth ends and TAP devices they create
// themselves, and every name carries a random suffix so that two runs, or
// two packages testing in parallel, cannot collide.
//
// Typical use:
//
//	netnstest.RequireRoot(t)
//	a, b := netnstest.New(t, "nt"), netnstest.New(t, "nt")
//	va, vb := netnstest.Veth(t, a, b)
//	a.Exec("ip", "addr", "add", "10.99.0.1/24", "dev", va)
//	b.Exec("ip", "addr", "add", "10.99.0.2/24", "dev", vb)
//	a.Exec("ping", "-c", "1", "-W", "2", "10.99.0.2")
package netnstest
