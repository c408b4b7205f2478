package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// serve starts a server with handlers and streaming commands and stops it
// when the test ends.
func serve(t *testing.T, handlers map[string]Handler, streams map[string]StreamHandler) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "n.sock")
	s, err := Listen(path, handlers, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range streams {
		s.Handle(name, h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return path
}

// got is what a client saw of an answer.
type got struct {
	Items []string
	Data  string
	Err   string
}

func stream(path string, req Request) got {
	var g got
	err := Stream(path, req, func(v json.RawMessage, item bool) error {
		if item {
			g.Items = append(g.Items, string(v))
		} else {
			g.Data = string(v)
		}
		return nil
	})
	if err != nil {
		g.Err = err.Error()
	}
	return g
}

type row struct {
	Port string `json:"port"`
	N    int    `json:"n"`
}

func TestStream(t *testing.T) {
	path := serve(t, map[string]Handler{
		"ports":    func() (any, error) { return []row{{"vm1", 1}, {"vm2", 2}}, nil },
		"counters": func() (any, error) { return map[string]int{"rx": 3}, nil },
		"none":     func() (any, error) { return []row{}, nil },
	}, map[string]StreamHandler{
		"echo": func(args []string, emit func(any) error) error {
			for _, a := range args {
				if err := emit(a); err != nil {
					return err
				}
			}
			return nil
		},
		"half": func(args []string, emit func(any) error) error {
			emit(row{"vm1", 1})
			emit(row{"vm2", 2})
			return errors.New("table went away")
		},
		"bad": func(args []string, emit func(any) error) error {
			if err := emit(func() {}); err != nil {
				return fmt.Errorf("encoding: %w", err)
			}
			return nil
		},
		"fdb": Seq(func(yield func(row) bool) {
			for i := range 3 {
				if !yield(row{"vm1", i}) {
					return
				}
			}
		}),
	})
	tests := []struct {
		name string
		req  Request
		want got
	}{
		{"plain list", Request{Cmd: "ports"}, got{Items: []string{`{"port":"vm1","n":1}`, `{"port":"vm2","n":2}`}}},
		{"plain value", Request{Cmd: "counters"}, got{Data: `{"rx":3}`}},
		{"empty list", Request{Cmd: "none"}, got{}},
		{"arguments", Request{Cmd: "echo", Args: []string{"vm1", "a b", ""}}, got{Items: []string{`"vm1"`, `"a b"`, `""`}}},
		{"error after items", Request{Cmd: "half"}, got{
			Items: []string{`{"port":"vm1","n":1}`, `{"port":"vm2","n":2}`},
			Err:   "node: table went away",
		}},
		{"item that does not encode", Request{Cmd: "bad"}, got{Err: "node: encoding: json: unsupported type: func()"}},
		{"iterator", Request{Cmd: "fdb"}, got{Items: []string{`{"port":"vm1","n":0}`, `{"port":"vm1","n":1}`, `{"port":"vm1","n":2}`}}},
		{"iterator given arguments", Request{Cmd: "fdb", Args: []string{"x"}}, got{Err: `node: takes no arguments, got ["x"]`}},
		{"plain given arguments", Request{Cmd: "ports", Args: []string{"x"}}, got{Err: `node: takes no arguments, got ["x"]`}},
		{"unknown command", Request{Cmd: "bogus"}, got{Err: `node: unknown command "bogus" (have: bad, counters, echo, fdb, half, none, ports)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, stream(path, tt.req)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	if data, err := Call(path, "none"); err != nil || string(data) != "[]" {
		t.Errorf("Call none = %s, %v; want []", data, err)
	}
}

// TestStreamDoesNotBuffer streams 300k items to a client that reads them
// slowly at first: the handler may run ahead of the client by no more than
// the socket and writer buffers, so the node never holds the answer.
func TestStreamDoesNotBuffer(t *testing.T) {
	const items = 300000
	var emitted atomic.Int64
	path := serve(t, nil, map[string]StreamHandler{
		"fdb": func(_ []string, emit func(any) error) error {
			for i := range items {
				if err := emit(row{fmt.Sprintf("vm%d", i), i}); err != nil {
					return err
				}
				emitted.Add(1)
			}
			return nil
		},
	})
	n, maxAhead := 0, int64(0)
	err := Stream(path, Request{Cmd: "fdb"}, func(v json.RawMessage, item bool) error {
		if n == 1000 {
			time.Sleep(200 * time.Millisecond) // let the server run as far ahead as it can
		}
		maxAhead = max(maxAhead, emitted.Load()-int64(n))
		var r row
		if err := json.Unmarshal(v, &r); err != nil || !item || r.N != n {
			return fmt.Errorf("item %d: %s, %v", n, v, err)
		}
		n++
		return nil
	})
	if err != nil || n != items {
		t.Fatalf("read %d items of %d: %v", n, items, err)
	}
	t.Logf("the server ran at most %d items (about %d KiB) ahead of the client", maxAhead, maxAhead*30/1024)
	if maxAhead > items/10 {
		t.Errorf("the server ran %d items ahead of the client: it buffers the answer", maxAhead)
	}
}

// TestStreamClientGone: a client that stops reading stops the iterator.
func TestStreamClientGone(t *testing.T) {
	const items = 1000000
	yielded := make(chan int, 1)
	path := serve(t, nil, map[string]StreamHandler{
		"fdb": Seq(func(yield func(row) bool) {
			i := 0
			for i < items && yield(row{"vm", i}) {
				i++
			}
			yielded <- i
		}),
	})
	stop := errors.New("enough")
	n := 0
	err := Stream(path, Request{Cmd: "fdb"}, func(json.RawMessage, bool) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Stream = %v, want the callback's error", err)
	}
	select {
	case i := <-yielded:
		if i == items {
			t.Errorf("the iterator ran to the end after the client left")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the iterator did not stop")
	}
}

// fakeNode answers every request with answer, raw, and hangs up.
func fakeNode(t *testing.T, answer string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			bufio.NewReader(c).ReadBytes('\n') // the request
			c.Write([]byte(answer))
			c.Close()
		}
	}()
	return path
}

func TestStreamBadAnswers(t *testing.T) {
	tests := []struct{ name, answer, want string }{
		{"cut short", `{"item":1}` + "\n", "answer cut short: unexpected EOF"},
		{"not JSON", "hello\n", "bad answer"},
		{"empty frame", "{}\n", "a frame with no item, data or end"},
		{"frame too long", `{"item":"` + strings.Repeat("x", MaxFrame+100) + `"}` + "\n", "a frame over 16 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := stream(fakeNode(t, tt.answer), Request{Cmd: "fdb"})
			if !strings.Contains(g.Err, tt.want) {
				t.Errorf("err = %q, want %q", g.Err, tt.want)
			}
		})
	}
}

// A live command's items reach the client as they are emitted, one at a
// time, while the handler still runs.
func TestHandleLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.sock")
	s, err := Listen(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	next := make(chan struct{})
	s.HandleLive("live", func(args []string, emit func(any) error) error {
		for i := 0; i < 3; i++ {
			if err := emit(i); err != nil {
				return err
			}
			select {
			case <-next: // the client saw item i
			case <-time.After(5 * time.Second):
				return errors.New("the client never saw the item")
			}
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	n := 0
	err = Stream(path, Request{Cmd: "live"}, func(v json.RawMessage, item bool) error {
		if string(v) != fmt.Sprint(n) {
			return fmt.Errorf("item %s, want %d", v, n)
		}
		n++
		next <- struct{}{}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("live stream: %v after %d items", err, n)
	}
}
