package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/vishvananda/netns"
)

// execInNamespace enters the named namespace on this thread and replaces
// the process with bin. It returns only on failure.
func execInNamespace(name, bin string, argv []string) error {
	runtime.LockOSThread() // never unlocked: the thread ends in exec or the process exits
	ns, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	if err := netns.Set(ns); err != nil {
		return fmt.Errorf("entering namespace %s: %w", name, err)
	}
	if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	return nil
}
