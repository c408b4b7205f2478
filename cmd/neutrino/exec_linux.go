package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"github.com/vishvananda/netns"
)

// execInNamespace replaces the process with bin running in the named
// namespace. With iproute2 installed it is `ip netns exec NAME`, so the
// command sees what that gives it too: /sys of the namespace, and the
// files of /etc/netns/NAME (a resolv.conf of its own, say) over /etc.
// Without it, the thread enters the namespace itself. It returns only on
// failure.
func execInNamespace(name, bin string, argv []string) error {
	if ip, err := exec.LookPath("ip"); err == nil {
		args := append([]string{"ip", "netns", "exec", name, bin}, argv[1:]...)
		if err := syscall.Exec(ip, args, os.Environ()); err != nil {
			return fmt.Errorf("%s: %w", ip, err)
		}
		return nil
	}
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
