package conntrack

import "testing"

// TryCommitReply refuses a reply tuple another connection holds, as
// CommitReply does, without counting it: the caller (SNAT keeping the
// source port) picks another.
func TestTryCommitReplyQuietClash(t *testing.T) {
	e := newEnv(t, Config{})
	first := e.track(udpFrame(cliIP, srvIP, 1000, 53), 1)
	reply := Key{Src: srvIP, Dst: rtrIP, SPort: 53, DPort: 1000, Zone: 1, Proto: 17}
	if _, why := e.tab.CommitReply(&first, reply, e.now); why != RefusedNone {
		t.Fatalf("first commit: %v", why)
	}
	second := e.track(udpFrame(rtrIP, srvIP, 1000, 53), 1) // another source, the same SNAT reply
	if _, why := e.tab.TryCommitReply(&second, reply, e.now); why != RefusedClash {
		t.Fatalf("try: %v, want a clash", why)
	}
	if n := e.tab.Stats().Refused[RefusedClash]; n != 0 {
		t.Fatalf("TryCommitReply counted %d clashes", n)
	}
	if _, why := e.tab.CommitReply(&second, reply, e.now); why != RefusedClash || e.tab.Stats().Refused[RefusedClash] != 1 {
		t.Fatalf("CommitReply: %v, %d clashes counted", why, e.tab.Stats().Refused[RefusedClash])
	}
	reply.DPort = 1001
	if _, why := e.tab.TryCommitReply(&second, reply, e.now); why != RefusedNone {
		t.Fatalf("try with a free tuple: %v", why)
	}
}
