package datapath

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"neutrino/link"
	"neutrino/link/mem"
)

// syncBuffer is a log sink safe for the node's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunSurvivesDeviceGone(t *testing.T) {
	var logs syncBuffer
	n, eps := memNode(t, twoNetSpec(), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}()

	r1, r2 := mac(0x11), mac(0x12)
	eps["r2"].Inject(mem.Frame{Data: udpFrame(t, r2, broadcast, 0, 30)})
	if got := eps["r1"].WaitCount(1, 5*time.Second); got != 1 {
		t.Fatalf("r1 got %d frames, want 1", got)
	}
	// r2's device disappears: reported once, the port is down, the rest goes on.
	eps["r2"].Fail(link.ErrDeviceGone)
	deadline := time.Now().Add(5 * time.Second)
	for (n.Ports()[1].State != "gone" || !strings.Contains(logs.String(), "port stopped")) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := n.Ports()[1].State; got != "gone" {
		t.Fatalf("r2 state = %q, want gone", got)
	}
	for i := 0; i < 3; i++ {
		eps["r1"].Inject(mem.Frame{Data: udpFrame(t, r1, broadcast, 0, 30)})
	}
	if got := eps["physnet1"].WaitCount(4, 5*time.Second); got != 4 {
		t.Fatalf("physnet1 got %d frames, want 4 (1 from r2, 3 from r1)", got)
	}
	if got := strings.Count(logs.String(), "port stopped"); got != 1 {
		t.Errorf("device gone reported %d times, want once:\n%s", got, logs.String())
	}
	if got := n.Counters().Drops["port_down"]; got != 3 {
		t.Errorf("port_down drops = %d, want 3", got)
	}
}
