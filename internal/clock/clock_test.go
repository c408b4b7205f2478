package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	if got := f.Now(); got != start.UnixNano() {
		t.Fatalf("Now = %d, want %d", got, start.UnixNano())
	}
	f.Advance(300 * time.Second)
	if got, want := f.Now(), start.Add(300*time.Second).UnixNano(); got != want {
		t.Errorf("after Advance: %d, want %d", got, want)
	}
	f.Set(start.UnixNano()) // never backwards
	if got, want := f.Now(), start.Add(300*time.Second).UnixNano(); got != want {
		t.Errorf("Set moved the clock back: %d, want %d", got, want)
	}
	f.Set(start.Add(time.Hour).UnixNano())
	if got, want := f.Now(), start.Add(time.Hour).UnixNano(); got != want {
		t.Errorf("after Set: %d, want %d", got, want)
	}
}

func TestReal(t *testing.T) {
	before := time.Now().UnixNano()
	got := Real{}.Now()
	if got < before || got > time.Now().UnixNano() {
		t.Errorf("Real.Now = %d, not between the calls around it", got)
	}
}
