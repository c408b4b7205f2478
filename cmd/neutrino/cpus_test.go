package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDatapathCPUs(t *testing.T) {
	for _, c := range []struct {
		flag  int
		env   string
		avail int
		want  int
	}{
		{0, "", 1, 1},
		{0, "", 2, 1},
		{0, "", 3, 1},
		{0, "", 8, 4},
		{0, "", 64, 32},
		{0, "2", 2, 2}, // $GOMAXPROCS, already applied by the runtime, wins over the default
		{0, "1", 1, 1},
		{2, "", 2, 2}, // the flag wins over both
		{1, "2", 2, 1},
		{3, "", 8, 3},
	} {
		if got := datapathCPUs(c.flag, c.env, c.avail); got != c.want {
			t.Errorf("datapathCPUs(%d, %q, %d) = %d, want %d", c.flag, c.env, c.avail, got, c.want)
		}
	}
}

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
