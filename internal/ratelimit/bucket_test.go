package ratelimit

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fake clock's start; steps are offsets from it.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()

// step is a number of events tried at one instant, and how many pass.
type step struct {
	at   time.Duration
	try  int
	want int
}

func TestAllow(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{{
		name: "starts full, then one per interval", rate: 10, burst: 5,
		steps: []step{
			{at: 0, try: 8, want: 5},
			{at: 99 * time.Millisecond, try: 1, want: 0},
			{at: 100 * time.Millisecond, try: 2, want: 1},
			{at: 350 * time.Millisecond, try: 5, want: 2}, // 200 ms, 300 ms
			{at: 400 * time.Millisecond, try: 5, want: 1},
		},
	}, {
		name: "idle time refills no more than the burst", rate: 10, burst: 5,
		steps: []step{
			{at: 0, try: 5, want: 5},
			{at: time.Hour, try: 10, want: 5},
		},
	}, {
		name: "burst of one is a strict rate", rate: 1000, burst: 1,
		steps: []step{
			{at: 0, try: 3, want: 1},
			{at: 500 * time.Microsecond, try: 1, want: 0},
			{at: time.Millisecond, try: 3, want: 1},
			{at: 10 * time.Millisecond, try: 3, want: 1},
		},
	}, {
		name: "fractional rate", rate: 0.5, burst: 1,
		steps: []step{
			{at: 0, try: 1, want: 1},
			{at: 1999 * time.Millisecond, try: 1, want: 0},
			{at: 2 * time.Second, try: 1, want: 1},
		},
	}, {
		name: "infinite rate allows everything", rate: math.Inf(1), burst: 1,
		steps: []step{{at: 0, try: 1000, want: 1000}},
	}, {
		name: "rate 0 allows nothing", rate: 0, burst: 10,
		steps: []step{{at: 0, try: 10, want: 0}, {at: time.Hour, try: 10, want: 0}},
	}, {
		name: "burst 0 allows nothing", rate: 100, burst: 0,
		steps: []step{{at: 0, try: 10, want: 0}},
	}, {
		name: "a clock step back only delays", rate: 10, burst: 2,
		steps: []step{
			{at: time.Second, try: 2, want: 2},
			{at: 0, try: 1, want: 0},
			{at: time.Second + 100*time.Millisecond, try: 1, want: 1},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.rate, tt.burst)
			var want, got []int
			for _, s := range tt.steps {
				n := 0
				for range s.try {
					if b.Allow(t0 + int64(s.at)) {
						n++
					}
				}
				want, got = append(want, s.want), append(got, n)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("allowed per step (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSteadyRate(t *testing.T) {
	// 1000 frames a second offered for 10 s to a 300/s, burst 10 bucket:
	// the burst plus 300 a second pass, exactly.
	b := New(300, 10)
	n := 0
	for i := range 10000 {
		if b.Allow(t0 + int64(i)*int64(time.Millisecond)) {
			n++
		}
	}
	// The first frame is at 0 and the last at 9.999 s: 10 + 9.999*300 = 3009.
	if n != 3009 {
		t.Errorf("allowed %d of 10000, want 3009", n)
	}
}

func TestAllowN(t *testing.T) {
	b := New(10, 5)
	now := t0
	type res struct {
		n      int
		ok     bool
		tokens int
	}
	var got []res
	for _, n := range []int{3, 3, 2, 0, 6, -1} {
		ok := b.AllowN(now, n)
		got = append(got, res{n, ok, b.Tokens(now)})
	}
	want := []res{
		{3, true, 2},
		{3, false, 2}, // all or nothing
		{2, true, 0},
		{0, true, 0},
		{6, false, 0}, // above the burst: never
		{-1, true, 0},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(res{})); diff != "" {
		t.Errorf("AllowN (-want +got):\n%s", diff)
	}
	if got := b.Tokens(now + int64(250*time.Millisecond)); got != 2 {
		t.Errorf("tokens after 250 ms = %d, want 2", got)
	}
	if got := b.Tokens(now + int64(time.Hour)); got != 5 {
		t.Errorf("tokens after an hour = %d, want the burst, 5", got)
	}
}

func TestExtremes(t *testing.T) {
	// A rate so low the interval saturates, a huge burst: no overflow.
	b := New(1e-30, math.MaxInt32)
	if !b.AllowN(t0, math.MaxInt32) {
		t.Error("a full bucket refused its whole burst")
	}
	if b.Allow(t0 + int64(1000*time.Hour)) {
		t.Error("a bucket of 1e-30/s refilled within 1000 h")
	}
	var zero Bucket
	if zero.Allow(t0) || zero.Tokens(t0) != 0 {
		t.Error("the zero Bucket allowed an event")
	}
}

func TestAllocs(t *testing.T) {
	b := New(1e6, 64)
	now := t0
	if n := testing.AllocsPerRun(1000, func() {
		now += 100
		b.Allow(now)
		b.AllowN(now, 2)
	}); n != 0 {
		t.Errorf("Allow allocates %v times per call, want 0", n)
	}
}

func BenchmarkAllow(b *testing.B) {
	bk := New(1e6, 64)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now += 500 // 2 Mpps offered to a 1 Mpps bucket
		bk.Allow(now)
	}
}
