package l2switch

import "testing"

// Gen moves when a known MAC's port could change: a move, a flush, an
// expiry; not when a new MAC is learned or a known one refreshed.
func TestGen(t *testing.T) {
	s := New(Config{})
	if err := s.SetMembership(Membership{0: {1}, 1: {1}, 2: {1}}); err != nil {
		t.Fatal(err)
	}
	a, b := MAC{2, 0, 0, 0, 0, 1}, MAC{2, 0, 0, 0, 0, 2}
	now := int64(1e12)
	g := s.Gen()
	s.Forward(0, 1, &b, &a, now) // a learned on 0
	if s.Gen() != g {
		t.Fatal("Gen moved on a new MAC")
	}
	s.Forward(0, 1, &b, &a, now+int64(2e9)) // refreshed
	if s.Gen() != g {
		t.Fatal("Gen moved on a refresh")
	}
	s.Forward(1, 1, &b, &a, now+int64(3e9)) // moved to 1
	if s.Gen() == g {
		t.Fatal("Gen did not move on a MAC move")
	}
	g = s.Gen()
	s.FlushPort(2) // nothing there
	if s.Gen() != g {
		t.Fatal("Gen moved on a flush that removed nothing")
	}
	s.FlushPort(1)
	if s.Gen() == g {
		t.Fatal("Gen did not move on a flush")
	}
}
