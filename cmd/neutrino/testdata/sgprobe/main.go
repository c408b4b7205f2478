// Command sgprobe sends and watches for what the security group tests
// need, run in the namespaces of a lab's ports: datagrams from a chosen
// source address and port (a spoofed one, or a DHCP server's port 67 to
// the broadcast address), TCP connections that must pass or time out,
// and ARP announcements with a chosen sender address.
//
//	sgprobe udp-send [-from IP:PORT] [-count N] [-payload P] ADDR:PORT
//	    send N datagrams (default 3), 100ms apart, SO_BROADCAST set;
//	    print "sent N"
//	sgprobe udp-listen [-until P] PORT
//	    print "listening", then "from ADDR:PORT PAYLOAD" for each
//	    datagram, until one carries payload P or the timeout
//	sgprobe tcp-serve PORT...
//	    print "listening", then "accepted PORT from ADDR:PORT" for each
//	    connection (answered with "hello"), until the timeout
//	sgprobe tcp-connect ADDR:PORT
//	    connect, read the greeting, print "connected from LOCAL";
//	    exit 1 saying "timeout" or "refused" when it fails
//	sgprobe arp-announce [-count N] IFACE IP
//	    send N gratuitous ARP requests (default 3), 100ms apart, with
//	    the interface's MAC and IP as sender; print "sent N"
//	sgprobe arp-listen [-until IP] IFACE
//	    print "listening", then "arp from IP MAC" for each ARP frame
//	    received, until one has sender IP (or the timeout)
//
// -timeout (default 5s) bounds every mode. The listeners exit 0 at the
// timeout: what they did not print did not arrive.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

func main() {
	timeout := flag.Duration("timeout", 5*time.Second, "how long to wait")
	from := flag.String("from", "", "udp-send: source IP:PORT")
	count := flag.Int("count", 3, "udp-send, arp-announce: how many to send")
	payload := flag.String("payload", "probe", "udp-send: the datagrams' payload")
	until := flag.String("until", "", "udp-listen: stop at this payload; arp-listen: at this sender IP")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: sgprobe [flags] udp-send ADDR:PORT | udp-listen PORT | tcp-serve PORT... | tcp-connect ADDR:PORT | arp-announce IFACE IP | arp-listen IFACE")
		os.Exit(2)
	}
	deadline := time.Now().Add(*timeout)
	args := flag.Args()[1:]
	var err error
	switch mode := flag.Arg(0); mode {
	case "udp-send":
		err = udpSend(args[0], *from, *payload, *count)
	case "udp-listen":
		err = udpListen(args[0], *until, deadline)
	case "tcp-serve":
		err = tcpServe(args, deadline)
	case "tcp-connect":
		err = tcpConnect(args[0], *timeout)
	case "arp-announce":
		if len(args) != 2 {
			err = errors.New("arp-announce IFACE IP")
			break
		}
		err = arpAnnounce(args[0], args[1], *count)
	case "arp-listen":
		err = arpListen(args[0], *until, deadline)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Printf("sgprobe: %v\n", err)
		os.Exit(1)
	}
}

// udpSend sends count datagrams to addr from the given source, broadcast
// allowed.
func udpSend(addr, from, payload string, count int) error {
	dst, err := netip.ParseAddrPort(addr)
	if err != nil {
		return err
	}
	var sa syscall.SockaddrInet4
	if from != "" {
		src, err := netip.ParseAddrPort(from)
		if err != nil {
			return err
		}
		sa = syscall.SockaddrInet4{Port: int(src.Port()), Addr: src.Addr().As4()}
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	for _, opt := range []int{syscall.SO_BROADCAST, syscall.SO_REUSEADDR} {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, opt, 1); err != nil {
			return err
		}
	}
	if err := syscall.Bind(fd, &sa); err != nil {
		return fmt.Errorf("bind %s: %w", from, err)
	}
	to := &syscall.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()}
	for i := 0; i < count; i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if err := syscall.Sendto(fd, []byte(payload), 0, to); err != nil {
			return fmt.Errorf("sendto %s: %w", addr, err)
		}
	}
	fmt.Printf("sent %d\n", count)
	return nil
}

// udpListen prints each datagram to port until one carries until.
func udpListen(port, until string, deadline time.Time) error {
	c, err := net.ListenPacket("udp4", ":"+port)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Println("listening")
	if err := c.SetDeadline(deadline); err != nil {
		return err
	}
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFrom(buf)
		if isTimeout(err) {
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Printf("from %s %s\n", from, buf[:n])
		if until != "" && string(buf[:n]) == until {
			return nil
		}
	}
}

// tcpServe accepts connections on every port until the deadline.
func tcpServe(ports []string, deadline time.Time) error {
	errs := make(chan error, len(ports))
	var ls []*net.TCPListener
	for _, p := range ports {
		l, err := net.Listen("tcp4", ":"+p)
		if err != nil {
			return err
		}
		tl := l.(*net.TCPListener)
		defer tl.Close()
		if err := tl.SetDeadline(deadline); err != nil {
			return err
		}
		ls = append(ls, tl)
	}
	fmt.Println("listening")
	for i, l := range ls {
		go func() {
			for {
				c, err := l.Accept()
				if isTimeout(err) {
					errs <- nil
					return
				}
				if err != nil {
					errs <- err
					return
				}
				fmt.Printf("accepted %s from %s\n", ports[i], c.RemoteAddr())
				_, _ = c.Write([]byte("hello"))
				c.Close()
			}
		}()
	}
	var first error
	for range ls {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// tcpConnect connects to addr and reads the server's greeting.
func tcpConnect(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp4", addr, timeout)
	switch {
	case isTimeout(err):
		return fmt.Errorf("timeout: no answer from %s within %v", addr, timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("refused by %s", addr)
	case err != nil:
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil {
		return fmt.Errorf("connected to %s but read: %w", addr, err)
	}
	if string(buf[:n]) != "hello" {
		return fmt.Errorf("greeting %q, want hello", buf[:n])
	}
	fmt.Printf("connected from %s\n", c.LocalAddr())
	return nil
}

// ethPARP is ETH_P_ARP in network byte order, as AF_PACKET wants it.
var ethPARP = htons(syscall.ETH_P_ARP)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// arpAnnounce sends gratuitous ARP requests for ip from iface's MAC.
func arpAnnounce(ifname, ipText string, count int) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(ipText)
	if err != nil || !ip.Is4() {
		return fmt.Errorf("bad IPv4 address %q", ipText)
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(ethPARP))
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	bcast := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	a := ip.As4()
	var f bytes.Buffer
	f.Write(bcast)
	f.Write(ifi.HardwareAddr)
	_ = binary.Write(&f, binary.BigEndian, []uint16{syscall.ETH_P_ARP, 1, 0x0800})
	f.Write([]byte{6, 4, 0, 1}) // hlen, plen, op request
	f.Write(ifi.HardwareAddr)
	f.Write(a[:])
	f.Write(make([]byte, 6))
	f.Write(a[:])
	to := &syscall.SockaddrLinklayer{Protocol: ethPARP, Ifindex: ifi.Index, Halen: 6}
	copy(to.Addr[:], bcast)
	for i := 0; i < count; i++ {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if err := syscall.Sendto(fd, f.Bytes(), 0, to); err != nil {
			return err
		}
	}
	fmt.Printf("sent %d\n", count)
	return nil
}

// arpListen prints the sender of each ARP frame iface receives until one
// is from until.
func arpListen(ifname, until string, deadline time.Time) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(ethPARP))
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: ethPARP, Ifindex: ifi.Index}); err != nil {
		return err
	}
	fmt.Println("listening")
	buf := make([]byte, 2048)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		tv := syscall.NsecToTimeval(min(left, 100*time.Millisecond).Nanoseconds())
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		// Ethernet (14) then ARP: sender MAC at 8, sender IP at 14.
		if n < 14+28 {
			continue
		}
		arp := buf[14:n]
		sender := netip.AddrFrom4([4]byte(arp[14:18])).String()
		fmt.Printf("arp from %s %s\n", sender, net.HardwareAddr(arp[8:14]))
		if until != "" && sender == until {
			return nil
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
