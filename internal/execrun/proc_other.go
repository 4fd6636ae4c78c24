//go:build !unix

package execrun

import "os/exec"

func ownGroup(*exec.Cmd) {}

// signalGroup stops the command itself (no process groups here).
func signalGroup(cmd *exec.Cmd, _ bool) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
