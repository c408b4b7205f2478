package dhcp

import (
	"bytes"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzHandle: any payload, from any kind of port, never panics, and an
// answer always decodes.
func FuzzHandle(f *testing.F) {
	for _, m := range [][]byte{
		msg(f, dhcpv4.MessageTypeDiscover, macVM1),
		msg(f, dhcpv4.MessageTypeDiscover, macNew, requested("91.1.180.101")),
		msg(f, dhcpv4.MessageTypeRequest, macNew, requested("91.1.180.101"), serverID("91.1.180.2")),
		msg(f, dhcpv4.MessageTypeRequest, macVM1, ciaddr("91.1.180.14")),
		msg(f, dhcpv4.MessageTypeDecline, macNew, requested("91.1.180.101")),
		msg(f, dhcpv4.MessageTypeRelease, macNew, ciaddr("91.1.180.101")),
		msg(f, dhcpv4.MessageTypeInform, macVM1, ciaddr("91.1.180.14")),
		msg(f, dhcpv4.MessageTypeDiscover, macVM2, giaddr("91.1.181.1")),
	} {
		f.Add(m, uint8(0))
		f.Add(m, uint8(3))
	}
	s, _ := newServer(f, testConfig())
	out := make([]byte, MaxReply)
	f.Fuzz(func(t *testing.T, payload []byte, flags uint8) {
		c := Client{Port: int(flags >> 2), PortName: "p", Trusted: flags&1 != 0, SrcMAC: macNew}
		if flags&2 != 0 && len(payload) >= offChaddr+6 {
			copy(c.SrcMAC[:], payload[offChaddr:]) // get past the chaddr check
		}
		rep, res := s.Handle(payload, c, t0+int64(flags)*1e9, out)
		if res == Answered {
			if _, err := dhcpv4.FromBytes(rep.Payload); err != nil {
				t.Fatalf("reply does not decode: %v", err)
			}
		} else if rep.Payload != nil {
			t.Fatalf("%v with a payload", res)
		}
	})
}

// FuzzLeaseFile: any file never panics; every line is applied or skipped,
// and the records kept survive a write and a read unchanged.
func FuzzLeaseFile(f *testing.F) {
	l := NewLeases()
	s, _ := New(testConfig(), l)
	fill(f, s, 3)
	exchange(f, s, msg(f, dhcpv4.MessageTypeDecline, MAC{2, 0, 0, 0, 0, 1}, requested("91.1.180.100")), Client{Trusted: true}, t0)
	exchange(f, s, msg(f, dhcpv4.MessageTypeDiscover, macNew, dhcpv4.WithOption(dhcpv4.OptHostName("x"))), Client{Trusted: true}, t0)
	good := formatLeases(l.snapshot(), l.subnets, l.ports)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("never a b c d e f 00000000\n"))
	f.Add([]byte("#\n\n\n"))
	f.Add(journalSeed(f)) // records superseded, tombstones
	f.Fuzz(func(t *testing.T, data []byte) {
		l := NewLeases()
		skipped, n := l.load(data, "leases")
		lines := 0
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) > 0 && line[0] != '#' {
				lines++
			}
		}
		if n != lines || l.Len()+len(skipped) > lines {
			t.Fatalf("%d kept + %d skipped, %d lines counted of %d", l.Len(), len(skipped), n, lines)
		}
		again := formatLeases(l.snapshot(), l.subnets, l.ports)
		l2 := NewLeases()
		if skipped, _ := l2.load(again, "leases"); skipped != nil {
			t.Fatalf("our own file has bad lines: %v\n%s", skipped, again)
		}
		if third := formatLeases(l2.snapshot(), l2.subnets, l2.ports); !bytes.Equal(again, third) {
			t.Fatalf("not stable:\n%s\n%s", again, third)
		}
	})
}
