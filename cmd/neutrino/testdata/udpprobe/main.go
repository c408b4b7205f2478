// Command udpprobe is a UDP client and server for the router tests, run in
// the namespaces of a lab's ports. It reports what the kernel's sockets
// see: the address a datagram came from, or the error an ICMP message
// turned into.
//
//	udpprobe serve PORT        answer one datagram, print "from ADDR:PORT"
//	udpprobe send ADDR:PORT    send one, print "reply from ADDR:PORT"
//	udpprobe refused ADDR:PORT send one, expect ECONNREFUSED; print "refused"
//
// Every mode gives up after -timeout (default 5s) and exits 1 when it did
// not see what it waits for.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

func main() {
	timeout := flag.Duration("timeout", 5*time.Second, "how long to wait")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: udpprobe [-timeout D] serve PORT | send ADDR:PORT | refused ADDR:PORT")
		os.Exit(2)
	}
	deadline := time.Now().Add(*timeout)
	var err error
	switch mode, arg := flag.Arg(0), flag.Arg(1); mode {
	case "serve":
		err = serve(arg, deadline)
	case "send":
		err = send(arg, deadline)
	case "refused":
		err = refused(arg, deadline)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "udpprobe: %v\n", err)
		os.Exit(1)
	}
}

// serve answers the first datagram to PORT with its own payload.
func serve(port string, deadline time.Time) error {
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
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		return err
	}
	fmt.Printf("from %s\n", from)
	_, err = c.WriteTo(buf[:n], from)
	return err
}

// send sends a datagram to addr every 200ms until one comes back.
func send(addr string, deadline time.Time) error {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for time.Now().Before(deadline) {
		if _, err := c.Write([]byte("probe")); err != nil {
			return err
		}
		if err := c.SetReadDeadline(minTime(deadline, time.Now().Add(200*time.Millisecond))); err != nil {
			return err
		}
		n, err := c.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		if err != nil {
			return err
		}
		if string(buf[:n]) != "probe" {
			return fmt.Errorf("reply %q, want the datagram sent", buf[:n])
		}
		fmt.Printf("reply from %s\n", c.RemoteAddr()) // a connected socket takes no other
		return nil
	}
	return fmt.Errorf("no reply from %s", addr)
}

// refused sends a datagram to addr, once a second, until the socket
// reports the port unreachable that came back.
func refused(addr string, deadline time.Time) error {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for time.Now().Before(deadline) {
		if _, err := c.Write([]byte("anyone?")); err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) { // about an earlier one
				fmt.Println("refused")
				return nil
			}
			return err
		}
		if err := c.SetReadDeadline(minTime(deadline, time.Now().Add(time.Second))); err != nil {
			return err
		}
		_, err := c.Read(buf)
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			continue
		case errors.Is(err, syscall.ECONNREFUSED):
			fmt.Println("refused")
			return nil
		case err != nil:
			return err
		}
		return fmt.Errorf("%s answered", addr)
	}
	return fmt.Errorf("no port unreachable from %s", addr)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
