// Package tap is the link.Endpoint of a TAP device: the port of a VM or of
// a namespace that uses the device directly.
//
// The device is opened with IFF_VNET_HDR and the offloads CSUM, TSO4 and
// TSO6, so the kernel hands over TCP super-frames of up to 64 KB with a
// partial checksum and takes them back whole: every frame is preceded by a
// 10-byte virtio-net header, which is read into and written from the
// buffer's headroom, so no frame is copied. Reads and writes go through the
// Go poller on a non-blocking descriptor (os.File.SyscallConn), and a read
// drains the device until EAGAIN or the batch is full. The reads and writes
// themselves are raw system calls (unix.RawSyscall): on a non-blocking
// descriptor they never wait, and a write into a TAP device runs the
// receiving stack in the caller (a TCP super-frame takes tens of
// microseconds), long enough for the runtime to hand the goroutine's P to
// another thread and back on every write with unix.Syscall.
//
// Consecutive small UDP/IPv4 datagrams of one flow in a WriteBatch (same
// headers, consecutive IP IDs, partial checksums, equal sizes but the
// last) are written as one VIRTIO_NET_HDR_GSO_UDP_L4 super-frame, which the
// kernel cuts back into the same datagrams: one write for up to 64 of
// them. If the kernel refuses one, coalescing is turned off.
//
// A device that did not exist is created by Open and disappears on Close;
// a persistent one (ip tuntap add) is attached to and left in place. The
// device may be moved to another network namespace while open (ip link set
// DEV netns NS): the descriptor keeps working. When the device is deleted
// from under the node, ReadBatch and WriteBatch return link.ErrDeviceGone.
package tap
