package netnstest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a command running in the background, started by (*NS).Start.
// It is killed when its context is done or when the test ends.
type Proc struct {
	cmd  *exec.Cmd
	args []string
	done chan struct{}
	err  error // set before done is closed

	out lockedBuffer
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

// Output returns what the process wrote to stdout and stderr so far.
func (p *Proc) Output() string {
	p.out.mu.Lock()
	defer p.out.mu.Unlock()
	return p.out.b.String()
}

// Wait waits at most timeout for the process to exit and returns its exit
// error; after timeout it kills the process and says so.
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.Stop()
		return fmt.Errorf("netnstest: %s: still running after %v, killed", strings.Join(p.args, " "), timeout)
	}
}

// Stop kills the process and its children and waits for it (at most a few
// seconds). It is safe to call more than once.
func (p *Proc) Stop() {
	_ = killGroup(p.cmd)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// start starts args with ctx bounding its life.
func start(ctx context.Context, args []string) (*Proc, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("netnstest: no command")
	}
	p := &Proc{args: args, done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, args[0], args[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	// Pdeathsig kills the process if the test binary dies (a -timeout
	// panic) before its cleanup runs. It fires when the OS thread that
	// started the process exits, so never call Start inside (*NS).Do.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.Cancel = func() error { return killGroup(p.cmd) }
	p.cmd.WaitDelay = time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("netnstest: starting %s: %w", strings.Join(args, " "), err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}
