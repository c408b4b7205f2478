// Package afpacket is the link.Endpoint of an existing interface (an
// uplink, a veth end, attach: existing), reached with an AF_PACKET raw
// socket bound to it for every protocol, in promiscuous mode.
//
// Frames are read in batches with recvmmsg and written with sendmmsg, on a
// non-blocking socket parked on the Go poller, allocating nothing per
// frame. Both are raw system calls (unix.RawSyscall6) with MSG_DONTWAIT:
// they never wait, and a send into a veth runs the peer's receive path in
// the caller, long enough for the runtime to hand the goroutine's P to
// another thread on every send with unix.Syscall6. Three kernel behaviours are handled on the way:
//
//   - Our own transmissions are not read back: PACKET_IGNORE_OUTGOING, or
//     on kernels without it, frames whose sll_pkttype is PACKET_OUTGOING
//     are skipped.
//   - VLAN offload: the kernel (veth included) may have taken a received
//     frame's 802.1Q tag out of the frame; it then arrives only in the
//     PACKET_AUXDATA control message, and is put back in place (4 bytes
//     pushed into the headroom, MAC addresses moved forward).
//   - GSO and GRO: a local sender on a veth, or GRO on a NIC, hands the
//     socket TCP super-frames of up to 64 KB whose checksum may be partial.
//     By default the socket uses PACKET_VNET_HDR, which describes each
//     frame with a virtio-net header (read into the headroom, as for TAP
//     devices) and lets super-frames and partial checksums be written back
//     whole: Caps is then CapCsumPartial|CapGSO. With Config.NoOffload the
//     frames come bare and Caps is 0; partial checksums (TP_STATUS_CSUMNOTREADY)
//     and oversize TCP frames are still described in Meta.GSO, the latter
//     with an MSS guessed from the MTU.
package afpacket
