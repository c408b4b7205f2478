package conntrack

import (
	"testing"
	"time"
)

// step is one segment of a TCP scenario and what must follow.
type step struct {
	dir     Dir
	flags   uint8
	after   time.Duration // clock advance before the segment
	ct      CtState
	state   TCPState // after the segment; TCPNone: no connection
	assured bool
}

func TestTCPStateMachine(t *testing.T) {
	o, r := Original, Reply
	handshake := []step{
		{dir: o, flags: fSYN, ct: StateNew, state: TCPSynSent},
		{dir: r, flags: fSYN | fACK, ct: StateEstablished, state: TCPSynRecv},
		{dir: o, flags: fACK, ct: StateEstablished, state: TCPEstablished, assured: true},
	}
	with := func(rest ...step) []step { return append(append([]step{}, handshake...), rest...) }
	tests := []struct {
		name  string
		loose bool
		steps []step
	}{
		{"handshake and data", false, with(
			step{dir: o, flags: fACK | fPSH, ct: StateEstablished, state: TCPEstablished, assured: true},
			step{dir: r, flags: fACK | fPSH, ct: StateEstablished, state: TCPEstablished, assured: true},
		)},
		{"FIN from both sides", false, with(
			step{dir: o, flags: fFIN | fACK, ct: StateEstablished, state: TCPFinWait, assured: true},
			step{dir: r, flags: fACK, ct: StateEstablished, state: TCPCloseWait, assured: true},
			step{dir: r, flags: fFIN | fACK, ct: StateEstablished, state: TCPLastAck, assured: true},
			step{dir: o, flags: fACK, ct: StateEstablished, state: TCPTimeWait, assured: true},
		)},
		{"RST from the server", false, with(
			step{dir: r, flags: fRST, ct: StateEstablished, state: TCPClose, assured: true},
		)},
		{"RST answering the SYN ends the connection", false, []step{
			{dir: o, flags: fSYN, ct: StateNew, state: TCPSynSent},
			{dir: r, flags: fRST | fACK, ct: StateEstablished, state: TCPNone},
		}},
		{"simultaneous open", false, []step{
			{dir: o, flags: fSYN, ct: StateNew, state: TCPSynSent},
			{dir: r, flags: fSYN, ct: StateEstablished, state: TCPSynSent2},
			{dir: o, flags: fSYN | fACK, ct: StateEstablished, state: TCPSynRecv},
			{dir: r, flags: fSYN | fACK, ct: StateEstablished, state: TCPSynRecv},
			{dir: o, flags: fACK, ct: StateEstablished, state: TCPEstablished, assured: true},
		}},
		{"retransmitted SYN does not renew the timeout", false, []step{
			{dir: o, flags: fSYN, ct: StateNew, state: TCPSynSent},
			{dir: o, flags: fSYN, after: 100 * time.Second, ct: StateNew, state: TCPSynSent},
			{dir: r, flags: fSYN | fACK, after: 20 * time.Second, ct: StateInvalid, state: TCPNone}, // 120 s after the first
		}},
		{"ACK before the SYN-ACK is invalid", false, []step{
			{dir: o, flags: fSYN, ct: StateNew, state: TCPSynSent},
			{dir: o, flags: fACK, ct: StateInvalid, state: TCPSynSent},
		}},
		{"SYN-ACK from the client is invalid", false, []step{
			{dir: o, flags: fSYN, ct: StateNew, state: TCPSynSent},
			{dir: o, flags: fSYN | fACK, ct: StateInvalid, state: TCPSynSent},
		}},
		{"SYN in ESTABLISHED is ignored", false, with(
			step{dir: o, flags: fSYN, ct: StateEstablished, state: TCPEstablished, assured: true},
		)},
		{"mid-stream pickup off", false, []step{
			{dir: o, flags: fACK, ct: StateInvalid, state: TCPNone},
		}},
		{"mid-stream pickup on", true, []step{
			{dir: o, flags: fACK, ct: StateNew, state: TCPEstablished},
			{dir: r, flags: fACK, ct: StateEstablished, state: TCPEstablished},
			{dir: o, flags: fACK, ct: StateEstablished, state: TCPEstablished, assured: true},
		}},
		{"FIN without connection is invalid even loose", true, []step{
			{dir: o, flags: fFIN | fACK, ct: StateInvalid, state: TCPNone},
		}},
		{"reopen from TIME_WAIT", false, with(
			step{dir: o, flags: fFIN | fACK, ct: StateEstablished, state: TCPFinWait, assured: true},
			step{dir: r, flags: fFIN | fACK, ct: StateEstablished, state: TCPLastAck, assured: true},
			step{dir: o, flags: fACK, ct: StateEstablished, state: TCPTimeWait, assured: true},
			step{dir: o, flags: fSYN, ct: StateNew, state: TCPSynSent},
		)},
		{"segment without flags is invalid", false, with(
			step{dir: o, flags: 0, ct: StateInvalid, state: TCPEstablished, assured: true},
		)},
		{"SYN+FIN is invalid", false, []step{
			{dir: o, flags: fSYN | fFIN, ct: StateInvalid, state: TCPNone},
		}},
		{"FIN without ACK is invalid", false, with(
			step{dir: o, flags: fFIN, ct: StateInvalid, state: TCPEstablished, assured: true},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{TCPLoose: tt.loose})
			k := tcpKey(0)
			for i, s := range tt.steps {
				e.advance(s.after)
				f := tcpFrame(cliIP, srvIP, 40000, 80, s.flags)
				if s.dir == Reply {
					f = tcpFrame(srvIP, cliIP, 80, 40000, s.flags)
				}
				v := e.pass(f, 0)
				if v.State != s.ct {
					t.Errorf("step %d: ctstate %v, want %v (reason %v)", i, v.State, s.ct, v.Reason)
				}
				st, ok := e.state(k)
				if st != s.state || ok != (s.state != TCPNone) {
					t.Errorf("step %d: state %v (found %v), want %v", i, st, ok, s.state)
				}
				if r, _, ok := e.tab.Lookup(k, e.now); ok {
					if in, _ := e.tab.Info(r, e.now); in.Assured != s.assured {
						t.Errorf("step %d: assured %v, want %v", i, in.Assured, s.assured)
					}
				}
			}
		})
	}
}

// TestTCPTimeouts reaches each state and checks the connection lives one
// ms short of its timeout and is gone at it.
func TestTCPTimeouts(t *testing.T) {
	o, r := Original, Reply
	type seg struct {
		dir   Dir
		flags uint8
	}
	hs := []seg{{o, fSYN}, {r, fSYN | fACK}, {o, fACK}}
	tests := []struct {
		state TCPState
		segs  []seg
		want  time.Duration
	}{
		{TCPSynSent, hs[:1], 120 * time.Second},
		{TCPSynRecv, hs[:2], 60 * time.Second},
		{TCPEstablished, hs, 432000 * time.Second},
		{TCPFinWait, append(hs[:3:3], seg{o, fFIN | fACK}), 120 * time.Second},
		{TCPCloseWait, append(hs[:3:3], seg{o, fFIN | fACK}, seg{r, fACK}), 60 * time.Second},
		{TCPLastAck, append(hs[:3:3], seg{o, fFIN | fACK}, seg{r, fFIN | fACK}), 30 * time.Second},
		{TCPTimeWait, append(hs[:3:3], seg{o, fFIN | fACK}, seg{r, fFIN | fACK}, seg{o, fACK}), 120 * time.Second},
		{TCPClose, append(hs[:3:3], seg{r, fRST}), 10 * time.Second},
		// The peer's SYN does not renew the timeout of the first.
		{TCPSynSent2, []seg{{o, fSYN}, {r, fSYN}}, 120*time.Second - time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.state.String(), func(t *testing.T) {
			e := newEnv(t, Config{})
			for _, s := range tt.segs {
				f := tcpFrame(cliIP, srvIP, 40000, 80, s.flags)
				if s.dir == Reply {
					f = tcpFrame(srvIP, cliIP, 80, 40000, s.flags)
				}
				e.pass(f, 0)
				e.advance(time.Millisecond)
			}
			e.advance(-time.Millisecond)
			if st, _ := e.state(tcpKey(0)); st != tt.state {
				t.Fatalf("state %v, want %v", st, tt.state)
			}
			r, _, _ := e.tab.Lookup(tcpKey(0), e.now)
			if in, _ := e.tab.Info(r, e.now); in.Timeout != int64(tt.want/time.Second) && tt.state != TCPSynSent2 {
				t.Errorf("timeout %d s, want %v", in.Timeout, tt.want)
			}
			e.advance(tt.want - time.Millisecond)
			if _, ok := e.state(tcpKey(0)); !ok {
				t.Errorf("gone 1 ms before its timeout")
			}
			e.advance(time.Millisecond)
			if _, ok := e.state(tcpKey(0)); ok {
				t.Errorf("still there at its timeout")
			}
			if n := e.tab.Expire(e.now, 1<<20); n != 1 || e.tab.Len() != 0 {
				t.Errorf("Expire removed %d, %d left; want 1, 0", n, e.tab.Len())
			}
		})
	}
}
