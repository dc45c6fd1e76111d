package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

type UserID int64

type Name string

type Blob []byte

type Point struct {
	X, Y float64
}

type Rec struct {
	ID    int64
	Name  string
	Tags  []string
	Attr  map[string]int32
	Next  *Rec
	Score float64
	Flags [3]bool
	Hash  uint64
	Raw   []byte
	Empty struct{}
	Zs    []struct{}
	Pt    Point
	Small int8
	Med   uint16
}

type Node struct {
	Val      int
	Children []*Node
}

type withUnexported struct {
	A int
	b int
}

type hasChan struct {
	C chan int
}

// pairKV is a generic pair that supplies its codec through Provider, as
// spark.KV does, with an implementation this package does not know.
type pairKV[K, V any] struct {
	Key   K
	Value V
}

func (pairKV[K, V]) GosparkCodec() any {
	kc, err := For[K]()
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	vc, err := For[V]()
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	return Codec[pairKV[K, V]](pairKVCodec[K, V]{kvOf[K, V]{kc, vc}})
}

// pairKVCodec is kvOf (bench_test.go) for pairKV, which has kv's layout.
type pairKVCodec[K, V any] struct{ kvOf[K, V] }

func (c pairKVCodec[K, V]) Append(dst []byte, p *pairKV[K, V]) []byte {
	return c.kvOf.Append(dst, (*kv[K, V])(p))
}

func (c pairKVCodec[K, V]) Decode(src []byte, p *pairKV[K, V]) (int, error) {
	return c.kvOf.Decode(src, (*kv[K, V])(p))
}

// upper supplies a codec built by this package (via Slice) through
// Provider, with a pointer receiver.
type upper []string

func (*upper) GosparkCodec() any {
	c := Slice(MustFor[string]())
	return Codec[upper](erasedCodec[upper]{c.(erased)})
}

// badProvider returns a codec of the wrong type.
type badProvider struct{ X int }

func (badProvider) GosparkCodec() any { return MustFor[int]() }

func roundTrip[T any](t *testing.T, v T) []byte {
	t.Helper()
	c, err := For[T]()
	if err != nil {
		t.Fatalf("For[%T]: %v", v, err)
	}
	enc := c.Append([]byte("prefix"), &v)
	if !bytes.HasPrefix(enc, []byte("prefix")) {
		t.Fatalf("Append(%#v) clobbered dst: %q", v, enc)
	}
	enc = enc[len("prefix"):]
	// Trailing bytes belong to the next record and must not be consumed.
	src := append(bytes.Clone(enc), 0xff, 0xfe)
	var got T
	n, err := c.Decode(src, &got)
	if err != nil {
		t.Fatalf("Decode(Append(%#v) = %x): %v", v, enc, err)
	}
	if n != len(enc) {
		t.Fatalf("Decode(%x) consumed %d bytes, want %d", enc, n, len(enc))
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip of %#v gave %#v (encoding %x)", v, got, enc)
	}
	return enc
}

func TestRoundTrip(t *testing.T) {
	leaf := &Rec{ID: 2, Name: "leaf"}
	tests := []struct {
		name string
		run  func(t *testing.T) []byte
		want []byte // nil: only the round trip is checked
	}{
		{"bool false", func(t *testing.T) []byte { return roundTrip(t, false) }, []byte{0}},
		{"bool true", func(t *testing.T) []byte { return roundTrip(t, true) }, []byte{1}},
		{"int 0", func(t *testing.T) []byte { return roundTrip(t, 0) }, []byte{0}},
		{"int -1 zigzag", func(t *testing.T) []byte { return roundTrip(t, -1) }, []byte{1}},
		{"int 1 zigzag", func(t *testing.T) []byte { return roundTrip(t, 1) }, []byte{2}},
		{"int64 min", func(t *testing.T) []byte { return roundTrip(t, int64(math.MinInt64)) }, nil},
		{"int64 max", func(t *testing.T) []byte { return roundTrip(t, int64(math.MaxInt64)) }, nil},
		{"int8 -128 one byte", func(t *testing.T) []byte { return roundTrip(t, int8(-128)) }, []byte{0x80}},
		{"int16 min", func(t *testing.T) []byte { return roundTrip(t, int16(math.MinInt16)) }, []byte{0xff, 0xff, 0x03}},
		{"int32 max", func(t *testing.T) []byte { return roundTrip(t, int32(math.MaxInt32)) }, nil},
		{"uint8 255 one byte", func(t *testing.T) []byte { return roundTrip(t, uint8(255)) }, []byte{0xff}},
		{"uint16 300", func(t *testing.T) []byte { return roundTrip(t, uint16(300)) }, []byte{0xac, 0x02}},
		{"uint32 max", func(t *testing.T) []byte { return roundTrip(t, uint32(math.MaxUint32)) }, []byte{0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"uint varint", func(t *testing.T) []byte { return roundTrip(t, uint(128)) }, []byte{0x80, 0x01}},
		{"uint64 fixed", func(t *testing.T) []byte { return roundTrip(t, uint64(0x0102030405060708)) }, []byte{8, 7, 6, 5, 4, 3, 2, 1}},
		{"uintptr", func(t *testing.T) []byte { return roundTrip(t, uintptr(7)) }, []byte{7}},
		{"float32", func(t *testing.T) []byte { return roundTrip(t, float32(1.5)) }, []byte{0, 0, 0xc0, 0x3f}},
		{"float64", func(t *testing.T) []byte { return roundTrip(t, 1.0) }, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
		{"float64 inf", func(t *testing.T) []byte { return roundTrip(t, math.Inf(-1)) }, nil},
		{"complex64", func(t *testing.T) []byte { return roundTrip(t, complex64(complex(1, -2))) }, nil},
		{"complex128", func(t *testing.T) []byte { return roundTrip(t, complex(3.5, 4)) }, nil},
		{"string", func(t *testing.T) []byte { return roundTrip(t, "ab") }, []byte{2, 'a', 'b'}},
		{"empty string", func(t *testing.T) []byte { return roundTrip(t, "") }, []byte{0}},
		{"long string", func(t *testing.T) []byte { return roundTrip(t, strings.Repeat("x", 300)) }, nil},
		{"bytes", func(t *testing.T) []byte { return roundTrip(t, []byte{9, 8}) }, []byte{2, 9, 8}},
		{"nil bytes", func(t *testing.T) []byte { return roundTrip(t, []byte(nil)) }, []byte{0}},
		{"struct{}", func(t *testing.T) []byte { return roundTrip(t, struct{}{}) }, []byte{}},
		{"named int", func(t *testing.T) []byte { return roundTrip(t, UserID(-3)) }, []byte{5}},
		{"named string", func(t *testing.T) []byte { return roundTrip(t, Name("n")) }, []byte{1, 'n'}},
		{"named bytes", func(t *testing.T) []byte { return roundTrip(t, Blob("z")) }, []byte{1, 'z'}},
		{"struct", func(t *testing.T) []byte { return roundTrip(t, Point{1, 2}) }, nil},
		{"nil slice", func(t *testing.T) []byte { return roundTrip(t, []int64(nil)) }, []byte{0}},
		{"empty slice", func(t *testing.T) []byte { return roundTrip(t, []int64{}) }, []byte{1}},
		{"slice", func(t *testing.T) []byte { return roundTrip(t, []int64{1, -1}) }, []byte{3, 2, 1}},
		{"slice of strings", func(t *testing.T) []byte { return roundTrip(t, []string{"a", ""}) }, []byte{3, 1, 'a', 0}},
		{"slice of struct{}", func(t *testing.T) []byte { return roundTrip(t, make([]struct{}, 5)) }, []byte{6}},
		{"byte array", func(t *testing.T) []byte { return roundTrip(t, [3]byte{1, 2, 3}) }, []byte{1, 2, 3}},
		{"array", func(t *testing.T) []byte { return roundTrip(t, [2]int16{-1, 1}) }, []byte{1, 2}},
		{"empty array", func(t *testing.T) []byte { return roundTrip(t, [0]int{}) }, []byte{}},
		{"nil map", func(t *testing.T) []byte { return roundTrip(t, map[string]int(nil)) }, []byte{0}},
		{"empty map", func(t *testing.T) []byte { return roundTrip(t, map[string]int{}) }, []byte{1}},
		{"map sorted by key", func(t *testing.T) []byte { return roundTrip(t, map[string]int{"b": 2, "a": 1}) },
			[]byte{3, 1, 'a', 2, 1, 'b', 4}},
		{"map struct{} key", func(t *testing.T) []byte { return roundTrip(t, map[struct{}]int{{}: 7}) }, []byte{2, 14}},
		{"nil pointer", func(t *testing.T) []byte { return roundTrip(t, (*int)(nil)) }, []byte{0}},
		{"pointer", func(t *testing.T) []byte { v := 5; return roundTrip(t, &v) }, []byte{1, 10}},
		{"pointer to pointer", func(t *testing.T) []byte { v := 5; p := &v; return roundTrip(t, &p) }, []byte{1, 1, 10}},
		{"record", func(t *testing.T) []byte {
			return roundTrip(t, Rec{ID: 1, Name: "root", Tags: []string{"x", "y"}, Attr: map[string]int32{"k": -9, "j": 3},
				Next: leaf, Score: 0.25, Flags: [3]bool{true, false, true}, Hash: math.MaxUint64, Raw: []byte("raw"),
				Zs: []struct{}{{}, {}}, Pt: Point{-1, 1}, Small: -5, Med: 999})
		}, nil},
		{"recursive type", func(t *testing.T) []byte {
			return roundTrip(t, Node{Val: 1, Children: []*Node{{Val: 2}, nil, {Val: 3, Children: []*Node{{Val: 4}}}}})
		}, nil},
		{"BinaryMarshaler", func(t *testing.T) []byte {
			return roundTrip(t, time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC))
		}, nil},
		{"BinaryMarshaler in struct", func(t *testing.T) []byte {
			return roundTrip(t, struct{ At []time.Time }{[]time.Time{time.Unix(1, 0).UTC()}})
		}, nil},
		{"Provider", func(t *testing.T) []byte { return roundTrip(t, pairKV[string, int64]{"k", -1}) }, []byte{1, 'k', 1}},
		{"foreign Provider nested in slice", func(t *testing.T) []byte {
			return roundTrip(t, []pairKV[int, string]{{1, "a"}, {2, "b"}})
		}, []byte{3, 2, 1, 'a', 4, 1, 'b'}},
		{"foreign Provider nested in struct", func(t *testing.T) []byte {
			return roundTrip(t, struct{ P pairKV[int, []int] }{pairKV[int, []int]{1, []int{2}}})
		}, []byte{2, 2, 4}},
		{"pointer-receiver Provider nested in map", func(t *testing.T) []byte {
			return roundTrip(t, map[int]upper{1: {"A"}})
		}, []byte{2, 2, 2, 1, 'A'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.run(t)
			if tt.want != nil && !bytes.Equal(got, tt.want) {
				t.Errorf("encoding = %x, want %x", got, tt.want)
			}
		})
	}
}

func TestInt64MinEncoding(t *testing.T) {
	// zig-zag maps MinInt64 to MaxUint64: ten bytes.
	got := MustFor[int64]().Append(nil, ptr(int64(math.MinInt64)))
	want := binary.AppendUvarint(nil, math.MaxUint64)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoding = %x, want %x", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestFloatBitsPreserved(t *testing.T) {
	for _, bits := range []uint64{math.Float64bits(math.NaN()), 0x7ff8000000000001, math.Float64bits(math.Copysign(0, -1))} {
		f := math.Float64frombits(bits)
		c := MustFor[float64]()
		var got float64
		if _, err := c.Decode(c.Append(nil, &f), &got); err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(got) != bits {
			t.Errorf("bits %x came back as %x", bits, math.Float64bits(got))
		}
	}
}

func TestMapEncodingIsCanonical(t *testing.T) {
	c := MustFor[map[int]string]()
	var first []byte
	for round := range 20 {
		m := map[int]string{}
		// Insert in a different order each round; iteration order is
		// random as well.
		for i := range 200 {
			k := (i*7 + round*13) % 200
			m[k] = fmt.Sprint(k)
		}
		enc := c.Append(nil, &m)
		if first == nil {
			first = enc
		} else if !bytes.Equal(enc, first) {
			t.Fatalf("round %d: encoding differs for an equal map", round)
		}
	}
}

func TestDecodeOverwrites(t *testing.T) {
	c := MustFor[Rec]()
	src := c.Append(nil, &Rec{Name: "new"})
	got := Rec{ID: 9, Tags: []string{"old"}, Attr: map[string]int32{"old": 1}, Next: &Rec{}, Raw: []byte("old")}
	if _, err := c.Decode(src, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Rec{Name: "new"}) {
		t.Fatalf("decoded into a used value: %#v", got)
	}
}

func TestDecodeDoesNotAliasInput(t *testing.T) {
	c := MustFor[struct {
		B []byte
		S string
		A [2]byte
	}]()
	src := c.Append(nil, &struct {
		B []byte
		S string
		A [2]byte
	}{[]byte("bytes"), "str", [2]byte{1, 2}})
	var got struct {
		B []byte
		S string
		A [2]byte
	}
	if _, err := c.Decode(src, &got); err != nil {
		t.Fatal(err)
	}
	clear(src)
	if string(got.B) != "bytes" || got.S != "str" || got.A != [2]byte{1, 2} {
		t.Fatalf("decoded value changed with its input: %+v", got)
	}
}

func TestForErrors(t *testing.T) {
	tests := []struct {
		name    string
		err     func() error
		mention []string
		is      error
	}{
		{"chan", func() error { _, err := For[chan int](); return err }, []string{"chan int"}, ErrUnsupported},
		{"func", func() error { _, err := For[func()](); return err }, []string{"func()"}, ErrUnsupported},
		{"interface", func() error { _, err := For[any](); return err }, []string{"interface {}"}, ErrUnsupported},
		{"error interface", func() error { _, err := For[[]error](); return err }, []string{"[]error", "error"}, ErrUnsupported},
		{"unsafe.Pointer", func() error { _, err := For[unsafe.Pointer](); return err }, []string{"unsafe.Pointer"}, ErrUnsupported},
		{"unexported field", func() error { _, err := For[withUnexported](); return err },
			[]string{"codec.withUnexported", "field b"}, ErrUnsupported},
		{"nested chan field", func() error { _, err := For[map[string]*hasChan](); return err },
			[]string{"codec.hasChan", "field C", "chan int"}, ErrUnsupported},
		{"Provider error", func() error { _, err := For[pairKV[int, chan int]](); return err },
			[]string{"value", "chan int"}, ErrUnsupported},
		{"Provider of wrong type", func() error { _, err := For[badProvider](); return err },
			[]string{"codec.badProvider", "want codec.Codec"}, nil},
		{"wrong Provider nested", func() error { _, err := For[[]badProvider](); return err },
			[]string{"codec.badProvider", "want codec.Codec"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("For succeeded, want an error")
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			// Cached errors stay errors.
			if again := tt.err(); again == nil || again.Error() != err.Error() {
				t.Errorf("second For: %v, want %v", again, err)
			}
		})
	}
}

func TestMustForPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustFor[chan int] did not panic")
		}
	}()
	MustFor[chan int]()
}

func TestForIsCached(t *testing.T) {
	a, b := MustFor[Rec](), MustFor[Rec]()
	if a != b {
		t.Fatal("For returned different codecs for the same type")
	}
}

// decodeErr decodes src with the codec of T and returns the error.
func decodeErr[T any](src []byte) error {
	var v T
	n, err := MustFor[T]().Decode(src, &v)
	if err == nil && (n < 0 || n > len(src)) {
		return fmt.Errorf("consumed %d of %d bytes", n, len(src))
	}
	return err
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		decode func() error
		want   error
	}{
		{"empty int64", func() error { return decodeErr[int64](nil) }, ErrShort},
		{"cut varint", func() error { return decodeErr[int64]([]byte{0x80, 0x80}) }, ErrShort},
		{"varint 11 bytes", func() error { return decodeErr[int64](bytes.Repeat([]byte{0x80}, 11)) }, ErrCorrupt},
		{"varint overflow", func() error {
			return decodeErr[uint](append(bytes.Repeat([]byte{0xff}, 9), 0x02))
		}, ErrCorrupt},
		{"int16 out of range", func() error { return decodeErr[int16](binary.AppendVarint(nil, 1<<20)) }, ErrCorrupt},
		{"int32 out of range", func() error { return decodeErr[int32](binary.AppendVarint(nil, -1<<40)) }, ErrCorrupt},
		{"uint16 out of range", func() error { return decodeErr[uint16](binary.AppendUvarint(nil, 1<<16)) }, ErrCorrupt},
		{"uint32 out of range", func() error { return decodeErr[uint32](binary.AppendUvarint(nil, 1<<32)) }, ErrCorrupt},
		{"bool 2", func() error { return decodeErr[bool]([]byte{2}) }, ErrCorrupt},
		{"short float", func() error { return decodeErr[float64]([]byte{1, 2, 3}) }, ErrShort},
		{"short uint64", func() error { return decodeErr[uint64]([]byte{1}) }, ErrShort},
		{"string longer than input", func() error { return decodeErr[string]([]byte{5, 'a'}) }, ErrShort},
		{"huge string length", func() error {
			return decodeErr[string](binary.AppendUvarint(nil, math.MaxUint64))
		}, ErrShort},
		{"huge bytes length", func() error { return decodeErr[[]byte](binary.AppendUvarint(nil, 1<<62)) }, ErrShort},
		{"huge slice length", func() error { return decodeErr[[]int64](binary.AppendUvarint(nil, 1<<40)) }, ErrShort},
		{"huge map length", func() error { return decodeErr[map[int]int](binary.AppendUvarint(nil, 1<<40)) }, ErrShort},
		{"two struct{} keys", func() error { return decodeErr[map[struct{}]struct{}]([]byte{3}) }, ErrCorrupt},
		{"huge []struct{}", func() error {
			return decodeErr[[]struct{}](binary.AppendUvarint(nil, 1<<40))
		}, ErrCorrupt},
		{"pointer flag 2", func() error { return decodeErr[*int]([]byte{2, 0}) }, ErrCorrupt},
		{"short byte array", func() error { return decodeErr[[4]byte]([]byte{1, 2}) }, ErrShort},
		{"bad time", func() error { return decodeErr[time.Time]([]byte{2, 0xff, 0xff}) }, ErrCorrupt},
		{"struct field", func() error { return decodeErr[Point]([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}) }, ErrShort},
		{"foreign Provider", func() error { return decodeErr[[]pairKV[int, string]]([]byte{2, 2, 5}) }, ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decode()
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDeepRecursionIsBounded(t *testing.T) {
	// A chain of Node values each with one child, deeper than maxDepth.
	var src []byte
	for range maxDepth + 1 {
		src = append(src, 0, 2, 1) // Val 0, one child, non-nil
	}
	err := decodeErr[Node](src)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Decode of %d nested nodes: %v, want ErrCorrupt", maxDepth+1, err)
	}
}

func TestTruncationIsAnError(t *testing.T) {
	// Every strict prefix of a valid encoding must fail cleanly: the
	// record's encoding has no prefix that is itself complete.
	v := Rec{ID: 300, Name: "name", Tags: []string{"t"}, Attr: map[string]int32{"a": 1}, Next: &Rec{Name: "n"},
		Raw: []byte{1}, Zs: []struct{}{{}}, Med: 7}
	c := MustFor[Rec]()
	enc := c.Append(nil, &v)
	for i := range len(enc) {
		var got Rec
		if _, err := c.Decode(enc[:i], &got); !errors.Is(err, ErrShort) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Decode of %d/%d bytes: %v, want ErrShort or ErrCorrupt", i, len(enc), err)
		}
	}
}

func TestStringDecodeAllocatesOnce(t *testing.T) {
	c := MustFor[string]()
	src := c.Append(nil, ptr(strings.Repeat("s", 100)))
	var s string
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Decode(src, &s); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Fatalf("Decode of a string made %v allocations, want 1", allocs)
	}
}

func TestScalarCodecsDoNotAllocate(t *testing.T) {
	ic, fc := MustFor[int64](), MustFor[float64]()
	buf := make([]byte, 0, 64)
	var i int64 = -12345
	f := 2.5
	allocs := testing.AllocsPerRun(100, func() {
		buf = fc.Append(ic.Append(buf[:0], &i), &f)
		n, _ := ic.Decode(buf, &i)
		_, _ = fc.Decode(buf[n:], &f)
	})
	if allocs != 0 {
		t.Fatalf("scalar Append/Decode made %v allocations", allocs)
	}
}

func TestSliceAndPair(t *testing.T) {
	sc := Slice(MustFor[int64]())
	for _, v := range [][]int64{nil, {}, {1, -2, 3}} {
		got := sc.Append(nil, &v)
		want := MustFor[[]int64]().Append(nil, &v)
		if !bytes.Equal(got, want) {
			t.Errorf("Slice encoding of %v = %x, For[[]int64] gives %x", v, got, want)
		}
		var back []int64
		if n, err := sc.Decode(got, &back); err != nil || n != len(got) || !reflect.DeepEqual(back, v) {
			t.Errorf("Slice round trip of %#v: %#v, %d, %v", v, back, n, err)
		}
	}
	pc := Pair(MustFor[string](), Slice(MustFor[pairKV[int, int]]()))
	v := struct {
		A string
		B []pairKV[int, int]
	}{"a", []pairKV[int, int]{{1, 2}}}
	enc := pc.Append(nil, &v)
	if want := []byte{1, 'a', 2, 2, 4}; !bytes.Equal(enc, want) {
		t.Errorf("Pair encoding = %x, want %x", enc, want)
	}
	var back struct {
		A string
		B []pairKV[int, int]
	}
	if _, err := pc.Decode(enc, &back); err != nil || !reflect.DeepEqual(back, v) {
		t.Errorf("Pair round trip: %#v, %v", back, err)
	}
	if _, err := pc.Decode(enc[:3], &back); !errors.Is(err, ErrShort) {
		t.Errorf("Pair decode of a prefix: %v, want ErrShort", err)
	}
	// A foreign codec whose values encode to nothing may still be sliced.
	ec := Slice[struct{}](nothing{})
	var empties []struct{}
	if n, err := ec.Decode([]byte{4}, &empties); err != nil || n != 1 || len(empties) != 3 {
		t.Errorf("Slice of zero-byte codec: %d elements, %d bytes, %v", len(empties), n, err)
	}
	if _, err := Slice(MustFor[string]()).Decode(binary.AppendUvarint(nil, 1<<40), new([]string)); !errors.Is(err, ErrShort) {
		t.Errorf("Slice with a huge length: %v, want ErrShort", err)
	}
}

type nothing struct{}

func (nothing) Append(dst []byte, _ *struct{}) []byte     { return dst }
func (nothing) Decode(_ []byte, _ *struct{}) (int, error) { return 0, nil }

func TestForConcurrent(t *testing.T) {
	type fresh struct {
		M map[string][]Point
		N *Node
	}
	var wg sync.WaitGroup
	encs := make([][]byte, 8)
	for i := range encs {
		wg.Go(func() {
			c := MustFor[fresh]()
			v := fresh{M: map[string][]Point{"a": {{1, 2}}, "b": nil}, N: &Node{Val: i % 1}}
			encs[i] = c.Append(nil, &v)
		})
	}
	wg.Wait()
	for i := range encs {
		if !bytes.Equal(encs[i], encs[0]) {
			t.Fatalf("goroutine %d encoded %x, goroutine 0 %x", i, encs[i], encs[0])
		}
	}
}

type failingMarshaler struct{ N int }

func (failingMarshaler) MarshalBinary() ([]byte, error) { return nil, errors.New("no") }
func (*failingMarshaler) UnmarshalBinary([]byte) error  { return nil }

func TestMarshalErrorPanics(t *testing.T) {
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !strings.Contains(err.Error(), "failingMarshaler.MarshalBinary: no") {
			t.Fatalf("recovered %v, want the MarshalBinary error", r)
		}
	}()
	MustFor[failingMarshaler]().Append(nil, &failingMarshaler{})
}

func TestDecodeErrorNamesThePath(t *testing.T) {
	c := MustFor[Rec]()
	enc := c.Append(nil, &Rec{Tags: []string{"abc"}, Next: &Rec{Attr: map[string]int32{"k": 1}}})
	tests := []struct {
		cut  int
		want string
	}{
		{3, "decode codec.Rec.Tags: codec: short input"},
		{20, "decode codec.Rec.Next.Score: codec: short input"},
		{bytes.Index(enc, []byte{1, 'k'}) + 2, "decode codec.Rec.Next.Attr[value 0]: codec: short input"},
	}
	for _, tt := range tests {
		var r Rec
		_, err := c.Decode(enc[:tt.cut], &r)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Decode of %d bytes: %v, want %q...", tt.cut, err, tt.want)
		}
	}
	var deep []byte
	for range 50 {
		deep = append(deep, 0, 2, 1)
	}
	_, err := MustFor[Node]().Decode(deep, new(Node))
	if want := "decode codec.Node.Children[0].Children[0].Children[0]...(89 more)...[0].Children[0].Children[0].Val: "; err == nil ||
		!strings.HasPrefix(err.Error(), want) {
		t.Errorf("deep Decode error %v, want %q...", err, want)
	}
}
