package mem

import (
	"errors"
	"io"
	"testing"

	"neutrino/link"
	"neutrino/link/linktest"
	"neutrino/packet"
)

func TestInjectReadWrite(t *testing.T) {
	e := New("m", WithMTU(1450), WithCaps(link.CapCsumPartial))
	if e.MTU() != 1450 || e.Caps() != link.CapCsumPartial || e.Name() != "m" {
		t.Fatalf("options not applied: %d %v %s", e.MTU(), e.Caps(), e.Name())
	}
	e.Inject(Frame{Data: []byte{1, 2, 3}, Time: 7})
	e.Inject(Frame{Data: []byte{4}})
	e.EndInput()
	bufs := []*packet.Buffer{packet.NewBuffer(64), packet.NewBuffer(64), packet.NewBuffer(64)}
	n, err := e.ReadBatch(bufs)
	if n != 2 || err != nil {
		t.Fatalf("ReadBatch = %d, %v; want 2, nil", n, err)
	}
	if got := bufs[0].Data(); string(got) != "\x01\x02\x03" || bufs[0].Meta.Time != 7 {
		t.Errorf("frame 0 = %x at %d", got, bufs[0].Meta.Time)
	}
	if _, err := e.ReadBatch(bufs); err != io.EOF {
		t.Errorf("drained ReadBatch = %v, want io.EOF", err)
	}
	if n, err := e.WriteBatch(bufs[:2]); n != 2 || err != nil {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	if got := e.Sent(); len(got) != 2 || string(got[1].Data) != "\x04" {
		t.Errorf("Sent = %v", got)
	}
	bufs[0].Meta.GSO.Type = packet.GSOTCPv4
	if _, err := e.WriteBatch(bufs[:1]); !errors.Is(err, link.ErrFrameTooBig) {
		t.Errorf("super-frame to an endpoint without CapGSO: %v", err)
	}
	e.Fail(link.ErrDeviceGone)
	if _, err := e.ReadBatch(bufs); !errors.Is(err, link.ErrDeviceGone) {
		t.Errorf("after Fail: %v", err)
	}
	e.Close()
	if _, err := e.WriteBatch(bufs[:1]); !errors.Is(err, link.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) { linktest.CloseUnblocksRead(t, New("m")) }
