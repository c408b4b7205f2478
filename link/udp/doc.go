// Package udp is the VXLAN underlay of a node: the UDP sockets on the
// node's underlay IPv4 address (Neutron's local_ip) through which VXLAN
// payloads (the 8-byte VXLAN header and the inner Ethernet frame) go to
// and come from the remote VTEPs.
//
// An Underlay holds one receiving socket bound to local:Port (4789 by
// default) and SrcPorts sending sockets, each bound to local and a source
// port the kernel chose. A datagram's Flow (a hash of its inner flow)
// picks its sending socket, so that the packets of one inner flow keep
// one outer source port, which is what ECMP and RSS along the path hash
// on. Datagrams to the sending sockets' ports are not for us: a socket
// filter discards them before they are queued.
//
// Everything is batched: ReadBatch reads with recvmmsg, on a non-blocking
// socket parked on the Go runtime's poller, and WriteBatch sends with
// sendmmsg (MSG_DONTWAIT), allocating nothing per datagram. The sending
// sockets are kept off the poller: the kernel signals write space each
// time a sent datagram is freed, which on a polled socket wakes the
// poller for nothing; a send that finds a full buffer waits in poll(2). Two kernel offloads cut the
// per-datagram cost further:
//
//   - UDP GSO (UDP_SEGMENT, Linux 4.18): one Datagram with SegSize > 0
//     carries a train of payloads of SegSize bytes each (the last may be
//     shorter) that the kernel, or the NIC, cuts into separate datagrams.
//     Without GSO (refused by the kernel, or turned off after the device
//     refused a train) WriteBatch cuts trains itself, so callers may
//     always hand over trains.
//   - UDP GRO (UDP_GRO, Linux 5.0): the kernel hands the receiving socket
//     trains of equal-sized datagrams from one peer as one Datagram with
//     SegSize > 0. Such trains hold up to 64 KB, so with GRO on every
//     buffer given to ReadBatch must have Cap() >= MaxTrain.
//
// The outer IPv4 header has DF set: the sending sockets use
// IP_PMTUDISC_DO (IP_PMTUDISC_PROBE with Options.IgnorePMTU). A datagram
// larger than the path MTU the kernel knows (the route's or device's MTU,
// or one an ICMP "fragmentation needed" lowered) is refused with EMSGSIZE
// by the sending call itself, and counted in tx_errors_too_big: the
// datapath must keep the inner frames small enough (the inner MTU is the
// underlay MTU minus 50 bytes). ICMP errors are not read: the sending
// sockets do not ask for IP_RECVERR, so an unreachable peer is silent.
//
// UDP checksums are left to the kernel (or the NIC).
//
// sendmmsg and recvmmsg are raw system calls (unix.RawSyscall6) with
// MSG_DONTWAIT: they never wait, but a send runs the underlay's delivery
// in the caller (over a veth, the peer's whole receive path), long enough
// for the runtime's monitor to take the goroutine's P away and wake
// another thread for it on every send with unix.Syscall6, and to keep
// polling every 20 microseconds for the next one. Measured on the
// two-node VXLAN bench, that was half of the nodes' context switches.
package udp
