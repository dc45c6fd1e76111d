package shuffleservice

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
	"time"
)

func frame(kind byte, payload []byte) []byte {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if err := writeFrame(w, kind, payload); err != nil {
		panic(err)
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func requestFrame(r request) []byte { return frame(r.encode()) }

// FuzzDecodeRequest feeds the service's parser (frames, hello, requests)
// arbitrary bytes: it must not panic, must not accept a frame over the
// limit, must accept only allowed names, and what it accepts must encode
// back to the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	seeds := [][]byte{
		frame(kindHello, hello{appID: "spark-app-1", nonce: make([]byte, nonceSize)}.encode()),
		frame(kindHello, hello{appID: "../etc", nonce: make([]byte, nonceSize)}.encode()),
		requestFrame(request{kind: kindRegister, execID: "7"}),
		requestFrame(request{kind: kindRegister, execID: "../7"}),
		requestFrame(request{kind: kindFetch, execID: "exec-1", fileBase: "shuffle_3_5_17", reduce: 4}),
		requestFrame(request{kind: kindFetch, execID: "exec-1", fileBase: "../shuffle_3_5_17", reduce: 4}),
		requestFrame(request{kind: kindHeartbeat, timeout: 30 * time.Second}),
		requestFrame(request{kind: kindRemoveApp}),
		append(requestFrame(request{kind: kindRegister, execID: "1"}), requestFrame(request{kind: kindHeartbeat})...),
		frame(kindKey, make([]byte, keySize)),
		{kindRegister, 0xff, 0xff, 0xff, 0xff},
		{kindFetch, 0, 0, 0, 6, 0, 0, 0, 1, 0xff, 'a'},
		{kindHeartbeat, 0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		var buf []byte
		for {
			kind, p, err := readFrame(r, buf, maxRequest)
			if err != nil {
				return
			}
			buf = p
			if len(p) > maxRequest {
				t.Fatalf("accepted a frame of %d bytes", len(p))
			}
			if kind == kindHello {
				h, err := decodeHello(p)
				if err != nil {
					if !errors.Is(err, errMalformed) && !errors.Is(err, ErrRefused) {
						t.Fatalf("hello: unclassified error %v", err)
					}
					continue
				}
				if !ValidName(h.appID) || !bytes.Equal(h.encode(), p) {
					t.Fatalf("hello %q decodes to %+v", p, h)
				}
				continue
			}
			req, err := decodeRequest(kind, p)
			if err != nil {
				if !errors.Is(err, errMalformed) && !errors.Is(err, ErrRefused) {
					t.Fatalf("request: unclassified error %v", err)
				}
				continue
			}
			switch req.kind {
			case kindRegister:
				if !ValidName(req.execID) {
					t.Fatalf("register accepts executor %q", req.execID)
				}
			case kindFetch:
				if !ValidName(req.execID) || !validFileBase(req.fileBase) || req.reduce < 0 || req.reduce > maxReduce {
					t.Fatalf("fetch accepts %+v", req)
				}
			case kindHeartbeat:
				if req.timeout < 0 || req.timeout > maxHeartbeatTimeout {
					t.Fatalf("heartbeat accepts %v", req.timeout)
				}
			}
			if k, q := req.encode(); k != kind || !bytes.Equal(q, p) {
				t.Fatalf("%d %q decodes to %+v, which encodes to %d %q", kind, p, req, k, q)
			}
		}
	})
}
