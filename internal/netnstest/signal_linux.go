package netnstest

import "os"

// Signal sends sig to the process (`ip netns exec` execs the command, so
// this is the command itself), for tests of a graceful stop.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }
