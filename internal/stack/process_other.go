//go:build !linux

package stack

import "os/exec"

// stopWithParent does nothing where the kernel offers no parent-death
// signal: children of a stack that crashed must be stopped by hand.
func stopWithParent(*exec.Cmd) {}
