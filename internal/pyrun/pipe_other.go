//go:build !linux

package pyrun

// setPipeSize does nothing where pipes cannot be resized.
func setPipeSize(any, int) {}
