package afpacket

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"neutrino/packet"
)

// cmsgAux builds a control buffer holding one tpacket_auxdata message.
func cmsgAux(aux unix.TpacketAuxdata) (*[ctrlWords]uint64, int) {
	var ctrl [ctrlWords]uint64
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&ctrl[0])), ctrlWords*8)
	size := int(unsafe.Sizeof(aux))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&buf[0]))
	h.Level, h.Type = unix.SOL_PACKET, unix.PACKET_AUXDATA
	h.SetLen(unix.CmsgLen(size))
	*(*unix.TpacketAuxdata)(unsafe.Pointer(&buf[unix.CmsgLen(0)])) = aux
	return &ctrl, unix.CmsgSpace(size)
}

func TestAuxdata(t *testing.T) {
	want := unix.TpacketAuxdata{Status: unix.TP_STATUS_VLAN_VALID | unix.TP_STATUS_VLAN_TPID_VALID, Len: 98, Snaplen: 98, Vlan_tci: 100, Vlan_tpid: 0x8100}
	ctrl, n := cmsgAux(want)
	var msg unix.Mmsghdr
	msg.Hdr.SetControllen(n)
	got, ok := auxdata(&msg, ctrl)
	if !ok {
		t.Fatal("auxdata not found")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	msg.Hdr.Flags = unix.MSG_CTRUNC
	if _, ok := auxdata(&msg, ctrl); ok {
		t.Fatal("auxdata from a truncated control buffer")
	}
	msg.Hdr.Flags = 0
	msg.Hdr.SetControllen(10)
	if _, ok := auxdata(&msg, ctrl); ok {
		t.Fatal("auxdata from a short control buffer")
	}
	// A garbage length must not loop or panic.
	(*unix.Cmsghdr)(unsafe.Pointer(&ctrl[0])).SetLen(1000)
	msg.Hdr.SetControllen(n)
	if _, ok := auxdata(&msg, ctrl); ok {
		t.Fatal("auxdata with a bad cmsg length")
	}
}

func TestDescribePlain(t *testing.T) {
	// Ethernet + IPv4 (20) + TCP (32 with options) + payload.
	tcpFrame := func(payload int) []byte {
		f := make([]byte, 14+20+32+payload)
		binary.BigEndian.PutUint16(f[12:], 0x0800)
		f[14] = 0x45
		binary.BigEndian.PutUint16(f[16:], uint16(20+32+payload))
		f[14+9] = 6
		f[34+12] = 8 << 4
		return f
	}
	tests := []struct {
		name   string
		frame  []byte
		status uint32
		want   packet.GSO
	}{
		{"valid", tcpFrame(100), unix.TP_STATUS_CSUM_VALID, packet.GSO{DataValid: true}},
		{"partial", tcpFrame(100), unix.TP_STATUS_CSUMNOTREADY, packet.GSO{NeedsCsum: true, CsumStart: 34, CsumOffset: 16}},
		{"super", tcpFrame(20000), unix.TP_STATUS_CSUMNOTREADY, packet.GSO{Type: packet.GSOTCPv4, NeedsCsum: true, CsumStart: 34, CsumOffset: 16, HdrLen: 66, Size: 1448}},
		{"runt", []byte{1, 2, 3}, unix.TP_STATUS_CSUMNOTREADY, packet.GSO{}},
		{"truncated tcp", tcpFrame(0)[:40], unix.TP_STATUS_CSUMNOTREADY, packet.GSO{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := packet.NewBuffer(packet.MaxFrame)
			b.SetData(tt.frame)
			describePlain(b, tt.status, 1500)
			if diff := cmp.Diff(tt.want, b.Meta.GSO); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenMissingInterface(t *testing.T) {
	_, err := Open(Config{Interface: "ntnosuch0"})
	if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), `"ntnosuch0"`) {
		t.Errorf("Open of a missing interface: %v, want ErrNoInterface naming it", err)
	}
}
