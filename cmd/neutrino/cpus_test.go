package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunCPUsFlagRefused(t *testing.T) {
	for _, arg := range []string{"--cpus=-1", "--cpus=100000"} {
		var out, errb bytes.Buffer
		if rc := cmdRun([]string{arg}, &out, &errb); rc != 2 {
			t.Errorf("run %s: exit %d, want 2 (stderr %q)", arg, rc, errb.String())
		}
		if !strings.Contains(errb.String(), "--cpus must be 1 to") {
			t.Errorf("run %s: stderr %q does not say what --cpus takes", arg, errb.String())
		}
	}
}
