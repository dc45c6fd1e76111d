package shuffleservice

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// The wire format. Every message is a frame: a 1-byte kind, a 4-byte
// big-endian payload length and the payload. A connection starts with the
// handshake and then carries one request and its answer at a time.
//
//	client                              service
//	hello(version, nonce nc, app id) →
//	                                  ← learn             (app unknown: trust on first use)
//	key(K)                           →
//	                                  ← welcome()
//	or
//	                                  ← challenge(nonce ns)  (app known)
//	proof(HMAC(K, client|nc|ns))     →
//	                                  ← welcome(HMAC(K, server|nc|ns))
//
// Requests: register(executor id), fetch(reduce uint32, executor id length
// uint8, executor id, file base), heartbeat(timeout in ms uint64),
// remove-app(). Answers: ok(payload: the partition's bytes for fetch,
// empty otherwise) or error(code byte, message).
const (
	protoVersion = 1
	nonceSize    = 32
	keySize      = sha256.Size
	headerSize   = 5

	// maxRequest bounds every frame a client sends, maxControl every frame
	// of the service but fetch's data, maxBlock the partition a fetch
	// answers with.
	maxRequest = 1024
	maxControl = 1024
	maxBlock   = 1 << 30
	// maxMessage bounds an error's message.
	maxMessage = 512
	// maxHeartbeatTimeout bounds the timeout a driver may declare.
	maxHeartbeatTimeout = 7 * 24 * time.Hour
	// maxReduce bounds a fetch's reduce partition.
	maxReduce = 1<<31 - 2
)

// Frame kinds.
const (
	// Client to service.
	kindHello     byte = 1
	kindKey       byte = 2
	kindProof     byte = 3
	kindRegister  byte = 10
	kindFetch     byte = 11
	kindHeartbeat byte = 12
	kindRemoveApp byte = 13

	// Service to client.
	kindLearn     byte = 20
	kindChallenge byte = 21
	kindWelcome   byte = 22
	kindOK        byte = 30
	kindError     byte = 31
)

// Error codes of an error frame.
const (
	codeRefused   byte = 1 // ErrRefused
	codeNotFound  byte = 2 // ErrNotFound
	codeGone      byte = 3 // the connection's application was removed: reconnect
	codeMalformed byte = 4 // the service could not parse the request
	codeFailed    byte = 5 // anything else (a corrupt index, an I/O error)
)

// errMalformed is wrapped by the errors of frames that break the protocol.
var errMalformed = errors.New("malformed frame")

// Labels of the key derivation and of the proofs.
const (
	keyLabel    = "gospark-shuffle-service:"
	proofClient = "gospark-shuffle-service client proof"
	proofServer = "gospark-shuffle-service server proof"
)

// appKey is the key K an application with secret proves itself with.
func appKey(secret []byte, appID string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(keyLabel + appID))
	return m.Sum(nil)
}

// proof is HMAC(key, label|nc|ns).
func proof(key []byte, label string, nc, ns []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	m.Write(nc)
	m.Write(ns)
	return m.Sum(nil)
}

// writeFrame writes one frame to w (a buffered writer: the caller flushes).
func writeFrame(w *bufio.Writer, kind byte, payload []byte) error {
	if err := writeHeader(w, kind, len(payload)); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

func writeHeader(w io.Writer, kind byte, n int) error {
	var h [headerSize]byte
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:], uint32(n))
	_, err := w.Write(h[:])
	return err
}

// readHeader reads a frame's kind and length, refusing lengths over limit.
func readHeader(r io.Reader, limit int) (byte, int, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if uint64(n) > uint64(limit) {
		return 0, 0, fmt.Errorf("%w: frame of kind %d has %d bytes, at most %d allowed", errMalformed, h[0], n, limit)
	}
	return h[0], int(n), nil
}

// readFrame reads a whole frame of at most limit payload bytes, reusing
// buf when it is large enough.
func readFrame(r io.Reader, buf []byte, limit int) (byte, []byte, error) {
	kind, n, err := readHeader(r, limit)
	if err != nil {
		return 0, nil, err
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, noEOF(err)
	}
	return kind, buf, nil
}

// noEOF turns an end of stream inside a frame into ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// hello is the first frame of a connection.
type hello struct {
	appID string
	nonce []byte
}

func (h hello) encode() []byte {
	p := make([]byte, 0, 1+nonceSize+len(h.appID))
	p = append(p, protoVersion)
	p = append(p, h.nonce...)
	return append(p, h.appID...)
}

// decodeHello parses a hello frame's payload. A bad application id is
// refused (ErrRefused); anything else wrong is errMalformed.
func decodeHello(p []byte) (hello, error) {
	if len(p) < 1+nonceSize {
		return hello{}, fmt.Errorf("%w: hello of %d bytes", errMalformed, len(p))
	}
	if p[0] != protoVersion {
		return hello{}, fmt.Errorf("%w: protocol version %d, this service speaks %d", ErrRefused, p[0], protoVersion)
	}
	h := hello{nonce: p[1 : 1+nonceSize], appID: string(p[1+nonceSize:])}
	if !ValidName(h.appID) {
		return hello{}, fmt.Errorf("%w: application id %q is not a valid name", ErrRefused, h.appID)
	}
	return h, nil
}

// request is one request after the handshake.
type request struct {
	kind     byte
	execID   string        // register, fetch
	fileBase string        // fetch
	reduce   int           // fetch
	timeout  time.Duration // heartbeat; 0 means the service's default
}

// encode returns the request's frame kind and payload. It does not check
// the names: the service does.
func (r request) encode() (byte, []byte) {
	switch r.kind {
	case kindRegister:
		return r.kind, []byte(r.execID)
	case kindFetch:
		p := make([]byte, 5, 5+len(r.execID)+len(r.fileBase))
		binary.BigEndian.PutUint32(p, uint32(r.reduce))
		p[4] = byte(len(r.execID))
		p = append(p, r.execID...)
		return r.kind, append(p, r.fileBase...)
	case kindHeartbeat:
		ms := (r.timeout + time.Millisecond - 1) / time.Millisecond
		return r.kind, binary.BigEndian.AppendUint64(nil, uint64(ms))
	default:
		return r.kind, nil
	}
}

// decodeRequest parses a request frame. Names that are not allowed are
// refused (ErrRefused); a frame that does not parse is errMalformed.
func decodeRequest(kind byte, p []byte) (request, error) {
	r := request{kind: kind}
	switch kind {
	case kindRegister:
		r.execID = string(p)
	case kindFetch:
		if len(p) < 5 || len(p) < 5+int(p[4]) {
			return request{}, fmt.Errorf("%w: fetch of %d bytes", errMalformed, len(p))
		}
		reduce := binary.BigEndian.Uint32(p)
		if reduce > maxReduce {
			return request{}, fmt.Errorf("%w: reduce partition %d", errMalformed, reduce)
		}
		r.reduce = int(reduce)
		n := int(p[4])
		r.execID = string(p[5 : 5+n])
		r.fileBase = string(p[5+n:])
		if !validFileBase(r.fileBase) {
			return request{}, fmt.Errorf("%w: %q is not a map output's name (shuffle_<shuffle>_<map>_<attempt>)", ErrRefused, r.fileBase)
		}
	case kindHeartbeat:
		if len(p) != 8 {
			return request{}, fmt.Errorf("%w: heartbeat of %d bytes", errMalformed, len(p))
		}
		ms := binary.BigEndian.Uint64(p)
		if ms > uint64(maxHeartbeatTimeout/time.Millisecond) {
			return request{}, fmt.Errorf("%w: heartbeat timeout of %d ms is over %v", errMalformed, ms, maxHeartbeatTimeout)
		}
		r.timeout = time.Duration(ms) * time.Millisecond
		return r, nil
	case kindRemoveApp:
		if len(p) != 0 {
			return request{}, fmt.Errorf("%w: remove-app of %d bytes", errMalformed, len(p))
		}
		return r, nil
	default:
		return request{}, fmt.Errorf("%w: unknown request kind %d", errMalformed, kind)
	}
	if !ValidName(r.execID) {
		return request{}, fmt.Errorf("%w: executor id %q is not a valid name", ErrRefused, r.execID)
	}
	return r, nil
}

// encodeError is an error frame's payload.
func encodeError(code byte, msg string) []byte {
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	return append([]byte{code}, msg...)
}

// serviceError is an error the service answered with. It wraps ErrRefused
// or ErrNotFound when its code says so.
type serviceError struct {
	code byte
	msg  string
}

func decodeError(p []byte) *serviceError {
	if len(p) == 0 {
		return &serviceError{code: codeFailed, msg: "empty error"}
	}
	return &serviceError{code: p[0], msg: string(p[1:])}
}

func (e *serviceError) Error() string {
	switch e.code {
	case codeRefused, codeGone:
		return "refused: " + e.msg
	case codeNotFound:
		return "not found: " + e.msg
	case codeMalformed:
		return "malformed request: " + e.msg
	default:
		return e.msg
	}
}

func (e *serviceError) Unwrap() error {
	switch e.code {
	case codeRefused, codeGone:
		return ErrRefused
	case codeNotFound:
		return ErrNotFound
	}
	return nil
}
