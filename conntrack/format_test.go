package conntrack

import (
	"strings"
	"testing"
	"time"

	"neutrino/packet/header"
)

func TestFormat(t *testing.T) {
	tcp := Info{
		Proto: 6, Timeout: 431999, TCPState: TCPEstablished, Replied: true, Assured: true, Zone: 3,
		Orig:  Key{Src: cliIP, Dst: srvIP, SPort: 1234, DPort: 80, Zone: 3, Proto: 6},
		Reply: Key{Src: srvIP, Dst: cliIP, SPort: 80, DPort: 1234, Zone: 3, Proto: 6},
	}
	if got, want := Format(tcp), "tcp 6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1234 [ASSURED] zone=3"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	e := newEnv(t, Config{})
	e.pass(tcpFrame(cliIP, srvIP, 40000, 80, fSYN), 0)
	e.pass(udpFrame(cliIP, srvIP, 5353, 53), 7)
	e.pass(echoFrame(cliIP, srvIP, header.ICMPv4Echo, 99), 0)
	e.pass(echoFrame(srvIP, cliIP, header.ICMPv4EchoReply, 99), 0)
	e.pass(frame(cliIP, srvIP, 47, make([]byte, 4)), 0)
	e.advance(1500 * time.Millisecond)
	var got []string
	e.tab.Each(e.now, func(i Info) bool { got = append(got, Format(i)); return true })
	want := []string{
		"icmp 1 28 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=99 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=99",
		"tcp 6 118 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000",
		"udp 17 28 src=10.0.0.1 dst=10.0.0.2 sport=5353 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5353 zone=7",
		"unknown 47 598 src=10.0.0.1 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1",
	}
	sortStrings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Each:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	c := e.tab.Count(e.now)
	if want := (Counts{Total: 4, UDP: 1, ICMP: 1, Other: 1, Unreplied: 3}); func() bool { want.TCP[TCPSynSent] = 1; return c != want }() {
		t.Errorf("Count = %+v", c)
	}
	n := 0
	e.tab.Each(e.now, func(Info) bool { n++; return false })
	if n != 1 {
		t.Errorf("Each went on after false: %d calls", n)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
