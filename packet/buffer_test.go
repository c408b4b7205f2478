package packet

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBufferPushPull(t *testing.T) {
	b := NewBuffer(64)
	if b.Cap() != 64 || b.Headroom() != Headroom || b.Len() != 0 {
		t.Fatalf("new buffer: cap %d headroom %d len %d", b.Cap(), b.Headroom(), b.Len())
	}
	b.SetData([]byte{1, 2, 3})
	copy(b.Push(2), []byte{8, 9})
	if got := b.Data(); !bytes.Equal(got, []byte{8, 9, 1, 2, 3}) || b.Headroom() != Headroom-2 {
		t.Errorf("after Push: % x, headroom %d", got, b.Headroom())
	}
	b.Pull(3)
	b.Truncate(1)
	if got := b.Data(); !bytes.Equal(got, []byte{2}) {
		t.Errorf("after Pull and Truncate: % x", got)
	}
	b.Meta.LVID = 7
	b.Reset()
	if b.Len() != 0 || b.Headroom() != Headroom || b.Meta.LVID != 0 {
		t.Errorf("Reset left len %d headroom %d lvid %d", b.Len(), b.Headroom(), b.Meta.LVID)
	}
}

func TestVLANPushPop(t *testing.T) {
	frame := []byte{
		1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, // dst, src
		0x08, 0x00, 0x45, 0, // IPv4 ...
	}
	b := NewBuffer(64)
	b.SetData(frame)
	b.Meta.GSO = GSO{Type: GSOTCPv4, NeedsCsum: true, HdrLen: 54, Size: 1448, CsumStart: 34, CsumOffset: 16}
	if !b.PushVLAN(0x8100, 101) {
		t.Fatal("PushVLAN failed")
	}
	want := append(append(append([]byte{}, frame[:12]...), 0x81, 0x00, 0x00, 101), frame[12:]...)
	if diff := cmp.Diff(want, b.Data()); diff != "" {
		t.Errorf("tagged (-want +got):\n%s", diff)
	}
	if g := b.Meta.GSO; g.CsumStart != 38 || g.HdrLen != 58 {
		t.Errorf("offsets after push: csum_start %d hdr_len %d, want 38 58", g.CsumStart, g.HdrLen)
	}
	b.PopVLAN()
	if diff := cmp.Diff(frame, b.Data()); diff != "" {
		t.Errorf("untagged again (-want +got):\n%s", diff)
	}
	if g := b.Meta.GSO; g.CsumStart != 34 || g.HdrLen != 54 {
		t.Errorf("offsets after pop: csum_start %d hdr_len %d, want 34 54", g.CsumStart, g.HdrLen)
	}
	short := NewBuffer(64)
	short.SetData(frame[:10])
	if short.PushVLAN(0x8100, 1) {
		t.Error("PushVLAN on a frame without MAC addresses succeeded")
	}
}
