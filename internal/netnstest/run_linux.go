package netnstest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// DefaultTimeout bounds every command run by this package whose context
// has no earlier deadline.
const DefaultTimeout = 20 * time.Second

// Run runs a command in the host's namespace and returns its combined
// output. It is killed when ctx is done or after DefaultTimeout, whichever
// comes first.
func Run(ctx context.Context, args ...string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("netnstest: no command")
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return out.String(), fmt.Errorf("netnstest: %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// Exec runs a command in the host's namespace like Run, and fails the test
// if it fails.
func Exec(t testing.TB, args ...string) string {
	t.Helper()
	out, err := Run(context.Background(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// killGroup kills the process group cmd leads (its children included).
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
