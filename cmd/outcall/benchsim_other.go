//go:build !linux

package main

import (
	"errors"
	"os/exec"
)

func detachSim(cmd *exec.Cmd) {}

func raiseSimGroup(pid, nice int) error {
	return errors.New("scheduling groups are a Linux feature")
}
