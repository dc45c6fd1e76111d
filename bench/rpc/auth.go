package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Per-request tokens (gRPC metadata, h2c header):
// "<unix-nanos>.<hex HMAC-SHA256(secret, nanos || method)>", accepted within
// a freshness window. The framed TCP protocol authenticates once per
// connection instead (see tcp.go).

const tokenWindow = 2 * time.Minute

func makeToken(secret []byte, method string) string {
	now := time.Now().UnixNano()
	return strconv.FormatInt(now, 10) + "." + hex.EncodeToString(tokenMAC(secret, now, method))
}

func tokenMAC(secret []byte, nanos int64, method string) []byte {
	m := hmac.New(sha256.New, secret)
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(nanos))
	m.Write(ts[:])
	m.Write([]byte(method))
	return m.Sum(nil)
}

func verifyToken(secret []byte, method, tok string) bool {
	tsStr, macHex, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	nanos, err := strconv.ParseInt(tsStr, 10, 64)
	if err != nil {
		return false
	}
	if d := time.Since(time.Unix(0, nanos)); d > tokenWindow || d < -tokenWindow {
		return false
	}
	mac, err := hex.DecodeString(macHex)
	if err != nil {
		return false
	}
	return hmac.Equal(mac, tokenMAC(secret, nanos, method))
}
