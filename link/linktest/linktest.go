// Package linktest holds checks every link.Endpoint must pass, shared by
// the backends' tests.
package linktest

import (
	"errors"
	"testing"
	"time"

	"neutrino/link"
	"neutrino/packet"
)

// CloseUnblocksRead checks that Close makes a ReadBatch blocked on ep
// return link.ErrClosed within a few seconds. ep must have nothing to read
// other than noise (which is read and ignored).
func CloseUnblocksRead(t *testing.T, ep link.Endpoint) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		bufs := make([]*packet.Buffer, 4)
		for i := range bufs {
			bufs[i] = packet.NewBuffer(packet.MaxFrame)
		}
		for {
			if _, err := ep.ReadBatch(bufs); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	ep.Close()
	select {
	case err := <-done:
		if !errors.Is(err, link.ErrClosed) {
			t.Fatalf("blocked ReadBatch returned %v, want link.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadBatch still blocked 5s after Close")
	}
}
