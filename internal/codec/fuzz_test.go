package codec

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// checkDecode decodes src with the codec of T. Bad input must give an error
// wrapping ErrShort or ErrCorrupt; good input must consume at most src, and
// the decoded value must encode to bytes that decode to the same encoding.
func checkDecode[T any](t *testing.T, src []byte) {
	c := MustFor[T]()
	var v T
	n, err := c.Decode(src, &v)
	if err != nil {
		if !errors.Is(err, ErrShort) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%T: Decode(%x) error %v wraps neither ErrShort nor ErrCorrupt", v, src, err)
		}
		_ = err.Error()
		return
	}
	if n < 0 || n > len(src) {
		t.Fatalf("%T: Decode(%x) consumed %d bytes", v, src, n)
	}
	enc := c.Append(nil, &v)
	var w T
	m, err := c.Decode(enc, &w)
	if err != nil || m != len(enc) {
		t.Fatalf("%T: re-decoding %x: %d bytes, %v", v, enc, m, err)
	}
	if again := c.Append(nil, &w); !bytes.Equal(again, enc) {
		t.Fatalf("%T: encoding is not stable: %x then %x", v, enc, again)
	}
}

func FuzzDecode(f *testing.F) {
	seeds := [][]byte{
		nil,
		{0},
		{0x80, 0x80, 0x80},
		MustFor[Rec]().Append(nil, &Rec{ID: 1, Name: "n", Tags: []string{"a"}, Attr: map[string]int32{"k": 1, "j": 2},
			Next: &Rec{Zs: []struct{}{{}}}, Raw: []byte{1}, Hash: 7}),
		MustFor[Node]().Append(nil, &Node{Val: 1, Children: []*Node{{Val: 2}, nil}}),
		MustFor[map[string][]int]().Append(nil, &map[string][]int{"a": {1}, "b": nil}),
		MustFor[time.Time]().Append(nil, ptr(time.Unix(1e9, 5).UTC())),
		MustFor[[]pairKV[string, int8]]().Append(nil, &[]pairKV[string, int8]{{"x", -1}}),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkDecode[bool](t, src)
		checkDecode[int16](t, src)
		checkDecode[int64](t, src)
		checkDecode[uint32](t, src)
		checkDecode[uint64](t, src)
		checkDecode[float64](t, src)
		checkDecode[string](t, src)
		checkDecode[[]byte](t, src)
		checkDecode[Rec](t, src)
		checkDecode[Node](t, src)
		checkDecode[[]struct{}](t, src)
		checkDecode[map[struct{}][]int](t, src)
		checkDecode[map[string][]int](t, src)
		checkDecode[[4]uint16](t, src)
		checkDecode[*[]*string](t, src)
		checkDecode[time.Time](t, src)
		checkDecode[[]pairKV[string, int8]](t, src)
		checkDecode[pairKV[UserID, []Point]](t, src)
	})
}
