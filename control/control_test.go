package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.sock")
	s, err := Listen(path, map[string]Handler{
		"ports": func() (any, error) { return []string{"vm1", "vm2"}, nil },
		"fail":  func() (any, error) { return nil, errors.New("broken") },
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	data, err := Call(path, "ports")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := json.Unmarshal(data, &got); err != nil || strings.Join(got, ",") != "vm1,vm2" {
		t.Errorf("ports = %v, %v", got, err)
	}
	if _, err := Call(path, "fail"); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("fail: err = %v, want broken", err)
	}
	if _, err := Call(path, "nope"); err == nil || !strings.Contains(err.Error(), "have: fail, ports") {
		t.Errorf("unknown: err = %v", err)
	}
	if _, err := Listen(path, nil, nil); !errors.Is(err, ErrInUse) {
		t.Errorf("second Listen = %v, want ErrInUse", err)
	}
}

func TestCallNoNode(t *testing.T) {
	_, err := Call(filepath.Join(t.TempDir(), "none.sock"), "ports")
	if err == nil || !strings.Contains(err.Error(), "no node is running") {
		t.Errorf("err = %v", err)
	}
}

func TestListenKeepsOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path, nil, nil); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen on a regular file: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "keep me" {
		t.Errorf("the file was touched: %q, %v", b, err)
	}
}
