package packet

import "testing"

func TestPoolBound(t *testing.T) {
	p := NewPool(2, 128)
	a, b := p.Get(), p.Get()
	if a == nil || b == nil || a == b {
		t.Fatalf("Get = %p, %p: want two distinct buffers", a, b)
	}
	if c := p.Get(); c != nil {
		t.Fatalf("Get on an exhausted pool = %p, want nil", c)
	}
	if p.InUse() != 2 {
		t.Fatalf("InUse = %d, want 2", p.InUse())
	}
	a.SetData([]byte{1, 2, 3})
	a.Meta.LVID = 7
	p.Put(a)
	c := p.Get()
	if c != a {
		t.Fatalf("Get after Put = %p, want the buffer put back %p", c, a)
	}
	if c.Len() != 0 || c.Meta.LVID != 0 || c.Headroom() != Headroom {
		t.Fatalf("reused buffer not reset: len %d lvid %d headroom %d", c.Len(), c.Meta.LVID, c.Headroom())
	}
}

func TestPoolNoAllocsWhenWarm(t *testing.T) {
	p := NewPool(4, 128)
	p.Put(p.Get())
	if n := testing.AllocsPerRun(100, func() { p.Put(p.Get()) }); n != 0 {
		t.Fatalf("Get/Put allocates %v times, want 0", n)
	}
}
