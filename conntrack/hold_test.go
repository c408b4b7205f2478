package conntrack

import (
	"math/rand/v2"
	"testing"
	"time"

	"neutrino/packet/header"
)

// Whenever a Hold says Hit, Track answers the packet with the held
// connection and direction and leaves the connection's word as it was:
// random TCP and UDP packets of a few flows, both ways, with random
// flags and clock steps, and connections deleted now and then.
func TestHoldHitIsTracksAnswer(t *testing.T) {
	e := newEnv(t, Config{TCPLoose: true})
	rng := rand.New(rand.NewPCG(1, 2))
	type flow struct {
		proto    uint8
		sport    uint16
		reply    bool
		pin      Hold
		haveHold bool
		lastFlag uint8
	}
	flags := []uint8{
		header.TCPFlagSYN, header.TCPFlagSYN | header.TCPFlagACK, header.TCPFlagACK,
		header.TCPFlagACK | header.TCPFlagPSH, header.TCPFlagFIN | header.TCPFlagACK, header.TCPFlagRST,
		header.TCPFlagACK, header.TCPFlagACK, header.TCPFlagACK,
	}
	var flows []*flow
	for i := range 8 {
		p := uint8(header.ProtoTCP)
		if i%2 == 1 {
			p = header.ProtoUDP
		}
		flows = append(flows, &flow{proto: p, sport: uint16(1000 + i/2)}, &flow{proto: p, sport: uint16(1000 + i/2), reply: true})
	}
	hits := 0
	for range 200000 {
		f := flows[rng.IntN(len(flows))]
		src, dst, sport, dport := cliIP, srvIP, f.sport, uint16(80)
		if f.reply {
			src, dst, sport, dport = dst, src, dport, sport
		}
		var fr []byte
		var fl uint8
		if f.proto == header.ProtoTCP {
			fl = flags[rng.IntN(len(flags))]
			fr = tcpFrame(src, dst, sport, dport, fl)
		} else {
			fr = udpFrame(src, dst, sport, dport)
		}
		switch rng.IntN(100) {
		case 0:
			e.advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
		case 1:
			if r, _, ok := e.tab.Lookup(Key{Src: cliIP, Dst: srvIP, SPort: f.sport, DPort: 80, Proto: f.proto}, e.now); ok {
				e.tab.Delete(r)
			}
		}
		predicted := f.haveHold && f.pin.Hit(fl, e.now)
		var w uint64
		if predicted {
			w = f.pin.c.word.Load()
		}
		v := e.pass(fr, 3)
		if predicted {
			hits++
			if !v.Conn.Valid() || v.Conn.c != f.pin.c || v.Dir != f.pin.Dir() {
				t.Fatalf("hold hit, but Track answered %+v", v)
			}
			if nw := f.pin.c.word.Load(); nw != w {
				t.Fatalf("hold hit, but Track changed the word %x -> %x", w, nw)
			}
		}
		f.pin, f.haveHold = HoldOf(&v)
	}
	if hits < 10000 {
		t.Fatalf("only %d hold hits: the test hardly tests", hits)
	}
}
