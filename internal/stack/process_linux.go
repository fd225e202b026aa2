package stack

import (
	"os/exec"
	"syscall"
)

// stopWithParent makes the kernel kill the child if the stack's own
// process dies without stopping it, so no gateway or Redis is left behind.
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
