package pyrun

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Frames on both protocols: a 4-byte big-endian length, then the payload.
// On the worker protocol a length of endOfData or pythonError is a marker
// instead (see worker.go).
const (
	endOfData   = -1 // end of the input (to the worker) or of the output (from it)
	pythonError = -2 // the task raised: a frame with the traceback follows
	maxFrame    = 1 << 30
)

func writeFrame(w io.Writer, p []byte) error {
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], uint32(len(p)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(p)
	return err
}

func writeMarker(w io.Writer, m int32) error {
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], uint32(m))
	_, err := w.Write(h[:])
	return err
}

// readHeader reads a frame's length word: a length >= 0 or a marker.
func readHeader(r io.Reader) (int32, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(h[:])), nil
}

func readBody(r io.Reader, n int32) ([]byte, error) {
	if n < 0 || n > maxFrame {
		return nil, fmt.Errorf("bad frame length %d", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return p, nil
}

// readFrame reads a frame that must not be a marker.
func readFrame(r io.Reader) ([]byte, error) {
	n, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	return readBody(r, n)
}
