package codec

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// ErrUnsupported is wrapped by For's error for types that have no encoding:
// channels, functions, interfaces, unsafe pointers and structs with
// unexported fields.
var ErrUnsupported = errors.New("codec: unsupported type")

// maxDepth bounds the nesting of recursive types (type Node struct{ Next
// *Node }) that decoding follows, so that corrupt input cannot exhaust the
// stack.
const maxDepth = 100_000

// maxZeroSizeLen bounds the length of decoded slices of types that encode to
// nothing ([]struct{}); such slices take no memory, but the length is still
// read from untrusted input.
const maxZeroSizeLen = 1 << 30

// buildErased returns the erased codec of t, building and caching it and
// the codecs of the types it contains.
func buildErased(t reflect.Type) (erased, error) {
	if e, ok := erasedCache.Load(t); ok {
		return e.(erased), nil
	}
	b := &builder{building: map[reflect.Type]*forward{}, built: map[reflect.Type]erased{}}
	e, err := b.build(t)
	if err != nil {
		return nil, err
	}
	// Publish only whole results: a failed build must not leave codecs
	// whose forward references are unresolved.
	for bt, be := range b.built {
		erasedCache.LoadOrStore(bt, be)
	}
	return e, nil
}

type builder struct {
	building map[reflect.Type]*forward // under construction: recursive references
	built    map[reflect.Type]erased
}

func (b *builder) build(t reflect.Type) (erased, error) {
	if e, ok := erasedCache.Load(t); ok {
		return e.(erased), nil
	}
	if e, ok := b.built[t]; ok {
		return e, nil
	}
	if f, ok := b.building[t]; ok {
		return f, nil
	}
	f := &forward{t: t}
	b.building[t] = f
	e, err := b.buildNew(t)
	delete(b.building, t)
	if err != nil {
		return nil, err
	}
	f.e = e
	b.built[t] = e
	return e, nil
}

func (b *builder) buildNew(t reflect.Type) (erased, error) {
	if c, ok, err := provided(t); ok || err != nil {
		if err != nil {
			return nil, err
		}
		if err := checkCodecType(t, c); err != nil {
			return nil, err
		}
		if e, ok := c.(erased); ok {
			return e, nil
		}
		return newForeign(t, c)
	}
	if isMarshaler(t) {
		return &marshalCodec{t: t}, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return boolCodec[bool]{}, nil
	case reflect.Int8:
		return i8Codec[int8]{}, nil
	case reflect.Int16:
		return i16Codec[int16]{}, nil
	case reflect.Int32:
		return i32Codec[int32]{}, nil
	case reflect.Int64:
		return i64Codec[int64]{}, nil
	case reflect.Int:
		if strconv.IntSize == 64 {
			return i64Codec[int64]{}, nil
		}
		return i32Codec[int32]{}, nil
	case reflect.Uint8:
		return u8Codec[uint8]{}, nil
	case reflect.Uint16:
		return u16Codec[uint16]{}, nil
	case reflect.Uint32:
		return u32Codec[uint32]{}, nil
	case reflect.Uint64:
		return u64Codec[uint64]{}, nil
	case reflect.Uint, reflect.Uintptr:
		if t.Size() == 8 {
			return uintCodec[uint]{}, nil
		}
		return u32Codec[uint32]{}, nil
	case reflect.Float32:
		return f32Codec[float32]{}, nil
	case reflect.Float64:
		return f64Codec[float64]{}, nil
	case reflect.Complex64:
		return c64Codec[complex64]{}, nil
	case reflect.Complex128:
		return c128Codec[complex128]{}, nil
	case reflect.String:
		return stringCodec[string]{}, nil
	case reflect.Struct:
		return b.buildStruct(t)
	case reflect.Array:
		return b.buildArray(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !isSpecial(t.Elem()) {
			return bytesCodec[[]byte]{}, nil
		}
		e, err := b.build(t.Elem())
		if err != nil {
			return nil, fmt.Errorf("slice element: %w", err)
		}
		return &sliceCodec{t: t, size: t.Elem().Size(), op: opOf(e), e: e}, nil
	case reflect.Map:
		ke, err := b.build(t.Key())
		if err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
		ve, err := b.build(t.Elem())
		if err != nil {
			return nil, fmt.Errorf("map value: %w", err)
		}
		return &mapCodec{t: t, ke: ke, ve: ve}, nil
	case reflect.Pointer:
		e, err := b.build(t.Elem())
		if err != nil {
			return nil, fmt.Errorf("pointer element: %w", err)
		}
		return &pointerCodec{t: t.Elem(), e: e}, nil
	}
	return nil, fmt.Errorf("%w: %v is a %v", ErrUnsupported, t, t.Kind())
}

// pathError locates a decoding error inside a composite value, as a Go
// selector: "decode codec.Rec.Tags[2]: ...". Its message is built only when
// asked for, and elides the middle of long paths, so that errors deep in
// recursive values cost little.
type pathError struct {
	t     reflect.Type // the composite's type; nil for pointers and arrays
	field string       // struct field, "key" or "value", or ""
	index int          // element index, or -1
	err   error
}

func (e *pathError) Unwrap() error { return e.err }

func (e *pathError) Error() string {
	const keep = 6 // segments kept at each end of a long path
	var root reflect.Type
	var head, tail []string
	total := 0
	var err error = e
	for {
		pe, ok := err.(*pathError)
		if !ok {
			break
		}
		if root == nil {
			root = pe.t
		}
		if seg := pe.segment(); seg != "" {
			if len(head) < keep {
				head = append(head, seg)
			} else {
				tail = append(tail, seg)
				if len(tail) > keep {
					tail = tail[1:]
				}
			}
			total++
		}
		err = pe.err
	}
	var b strings.Builder
	b.WriteString("decode ")
	if root != nil {
		b.WriteString(root.String())
	}
	b.WriteString(strings.Join(head, ""))
	if total > len(head)+len(tail) {
		fmt.Fprintf(&b, "...(%d more)...", total-len(head)-len(tail))
	}
	b.WriteString(strings.Join(tail, ""))
	b.WriteString(": ")
	b.WriteString(err.Error())
	return b.String()
}

func (e *pathError) segment() string {
	switch {
	case e.field == "key" || e.field == "value":
		return "[" + e.field + " " + strconv.Itoa(e.index) + "]"
	case e.field != "":
		return "." + e.field
	case e.index >= 0:
		return "[" + strconv.Itoa(e.index) + "]"
	}
	return ""
}

// forward stands for a type whose codec is under construction, which
// recursive types refer to; it counts the recursion depth when decoding.
type forward struct {
	t reflect.Type
	e erased // set once the type is built
}

func (f *forward) appendPtr(dst []byte, p unsafe.Pointer) []byte { return f.e.appendPtr(dst, p) }
func (f *forward) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	if depth >= maxDepth {
		return 0, fmt.Errorf("%w: %v nested more than %d deep", ErrCorrupt, f.t, maxDepth)
	}
	return f.e.decodePtr(src, p, depth+1)
}

// minSize of a type still under construction is only asked for by its own
// containers, which are pointers, slices and maps with sizes of their own.
func (f *forward) minSize() int {
	if f.e == nil {
		return 1
	}
	return f.e.minSize()
}

// structCodec encodes the fields in order.
type structCodec struct {
	t      reflect.Type
	fields []field
	min    int
}

type field struct {
	off  uintptr
	op   op
	e    erased
	name string
}

func (b *builder) buildStruct(t reflect.Type) (erased, error) {
	c := &structCodec{t: t}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			return nil, fmt.Errorf("%w: struct %v has unexported field %s (export it, or give %v a Provider or encoding.BinaryMarshaler method)",
				ErrUnsupported, t, sf.Name, t)
		}
		e, err := b.build(sf.Type)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", sf.Name, err)
		}
		if e.minSize() == 0 && sf.Type.Size() == 0 {
			continue // holds nothing
		}
		c.fields = append(c.fields, field{off: sf.Offset, op: opOf(e), e: e, name: sf.Name})
		c.min += e.minSize()
	}
	if len(c.fields) == 0 {
		return emptyCodec[struct{}]{}, nil
	}
	return c, nil
}

func (c *structCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	return appendFields(dst, c.fields, p)
}

func (c *structCodec) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	n := 0
	for i := range c.fields {
		f := &c.fields[i]
		q := unsafe.Add(p, f.off)
		// The common ops inline; decodeOp has the rest and the errors.
		switch f.op {
		case opI64:
			if x, k := binary.Varint(src[n:]); k > 0 {
				*(*int64)(q) = x
				n += k
				continue
			}
		case opUint:
			if x, k := binary.Uvarint(src[n:]); k > 0 {
				*(*uint64)(q) = x
				n += k
				continue
			}
		case opU64, opF64:
			if len(src)-n >= 8 {
				*(*uint64)(q) = binary.LittleEndian.Uint64(src[n:])
				n += 8
				continue
			}
		case opString:
			if u, k := binary.Uvarint(src[n:]); k > 0 && u <= uint64(len(src)-n-k) {
				*(*string)(q) = string(src[n+k : n+k+int(u)])
				n += k + int(u)
				continue
			}
		}
		k, err := decodeOp(src[n:], f.op, f.e, q, depth)
		if err != nil {
			return 0, &pathError{t: c.t, field: f.name, index: -1, err: err}
		}
		n += k
	}
	return n, nil
}

func (c *structCodec) minSize() int { return c.min }

func (b *builder) buildArray(t reflect.Type) (erased, error) {
	e, err := b.build(t.Elem())
	if err != nil {
		return nil, fmt.Errorf("array element: %w", err)
	}
	if t.Len() == 0 || (e.minSize() == 0 && t.Elem().Size() == 0) {
		return emptyCodec[struct{}]{}, nil
	}
	if _, ok := e.(u8Codec[uint8]); ok {
		return byteArrayCodec{n: t.Len()}, nil
	}
	return &arrayCodec{n: t.Len(), size: t.Elem().Size(), e: e}, nil
}

// byteArrayCodec copies [N]byte as is.
type byteArrayCodec struct{ n int }

func (c byteArrayCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	return append(dst, unsafe.Slice((*byte)(p), c.n)...)
}

func (c byteArrayCodec) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	if len(src) < c.n {
		return 0, short(fmt.Sprintf("[%d]byte", c.n), c.n, len(src))
	}
	copy(unsafe.Slice((*byte)(p), c.n), src)
	return c.n, nil
}

func (c byteArrayCodec) minSize() int { return c.n }

// arrayCodec encodes the elements in order, without a length.
type arrayCodec struct {
	n    int
	size uintptr
	e    erased
}

func (c *arrayCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	for i := range c.n {
		dst = c.e.appendPtr(dst, unsafe.Add(p, uintptr(i)*c.size))
	}
	return dst
}

func (c *arrayCodec) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	n := 0
	for i := range c.n {
		k, err := c.e.decodePtr(src[n:], unsafe.Add(p, uintptr(i)*c.size), depth)
		if err != nil {
			return 0, &pathError{index: i, err: err}
		}
		n += k
	}
	return n, nil
}

func (c *arrayCodec) minSize() int { return c.n * c.e.minSize() }

// sliceHeader is the layout of every slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// sliceCodec writes uvarint(len+1), or 0 for a nil slice, then the
// elements.
type sliceCodec struct {
	t    reflect.Type
	size uintptr
	op   op
	e    erased
}

func (c *sliceCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	h := (*sliceHeader)(p)
	if h.data == nil {
		return append(dst, 0)
	}
	dst = appendUvarint(dst, uint64(h.len)+1)
	if c.size == 0 && c.e.minSize() == 0 {
		return dst // elements that hold and encode nothing
	}
	switch c.op {
	case opString:
		for _, s := range unsafe.Slice((*string)(h.data), h.len) {
			dst = append(binary.AppendUvarint(dst, uint64(len(s))), s...)
		}
	case opI64:
		for _, x := range unsafe.Slice((*int64)(h.data), h.len) {
			dst = binary.AppendVarint(dst, x)
		}
	case opNone:
		for i := range h.len {
			dst = c.e.appendPtr(dst, unsafe.Add(h.data, uintptr(i)*c.size))
		}
	default:
		for i := range h.len {
			dst = appendOp(dst, c.op, c.e, unsafe.Add(h.data, uintptr(i)*c.size))
		}
	}
	return dst
}

func (c *sliceCodec) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	n, k, isNil, err := count(src, c.e.minSize())
	if err != nil {
		return 0, &pathError{t: c.t, index: -1, err: err}
	}
	h := (*sliceHeader)(p)
	if isNil {
		*h = sliceHeader{}
		return k, nil
	}
	data := allocOp(c.op, n)
	if data == nil {
		data = reflect.MakeSlice(c.t, n, n).UnsafePointer()
	}
	if c.e.minSize() > 0 || c.size > 0 {
		for i := range n {
			m, err := decodeOp(src[k:], c.op, c.e, unsafe.Add(data, uintptr(i)*c.size), depth)
			if err != nil {
				return 0, &pathError{t: c.t, index: i, err: err}
			}
			k += m
		}
	}
	*h = sliceHeader{data: data, len: n, cap: n}
	return k, nil
}

func (c *sliceCodec) minSize() int { return 1 }

// count decodes the uvarint(n+1) prefix of a slice or map and bounds n by
// the input left: each element takes at least min bytes.
func count(src []byte, min int) (n, k int, isNil bool, err error) {
	u, k, err := uvarint(src)
	if err != nil {
		return 0, 0, false, err
	}
	if u == 0 {
		return 0, k, true, nil
	}
	u--
	if min == 0 {
		if u > maxZeroSizeLen {
			return 0, 0, false, fmt.Errorf("%w: %d elements", ErrCorrupt, u)
		}
	} else if u > uint64(len(src)-k)/uint64(min) {
		return 0, 0, false, fmt.Errorf("%w: %d elements need at least %d bytes, %d left",
			ErrShort, u, u*uint64(min), len(src)-k)
	}
	return int(u), k, false, nil
}

// mapCodec writes uvarint(len+1), or 0 for a nil map, then the entries
// sorted by encoded key, so that equal maps encode identically.
type mapCodec struct {
	t      reflect.Type
	ke, ve erased
}

type mapEntry struct{ start, mid, end int }

var mapScratch = sync.Pool{New: func() any { return new(mapBuf) }}

type mapBuf struct {
	entries []mapEntry
	tmp     []byte
}

func (c *mapCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	m := reflect.NewAt(c.t, p).Elem()
	if m.IsNil() {
		return append(dst, 0)
	}
	dst = appendUvarint(dst, uint64(m.Len())+1)
	if m.Len() == 0 {
		return dst
	}
	kv := reflect.New(c.t.Key()).Elem()
	vv := reflect.New(c.t.Elem()).Elem()
	kp, vp := kv.Addr().UnsafePointer(), vv.Addr().UnsafePointer()
	sb := mapScratch.Get().(*mapBuf)
	entries := sb.entries[:0]
	base := len(dst)
	it := m.MapRange()
	for it.Next() {
		kv.SetIterKey(it)
		vv.SetIterValue(it)
		start := len(dst)
		dst = c.ke.appendPtr(dst, kp)
		mid := len(dst)
		dst = c.ve.appendPtr(dst, vp)
		entries = append(entries, mapEntry{start, mid, len(dst)})
	}
	if len(entries) > 1 {
		// By key; keys that encode alike (distinct pointers to equal
		// values) by value, so that the order never depends on the map's.
		slices.SortFunc(entries, func(a, b mapEntry) int {
			if c := bytes.Compare(dst[a.start:a.mid], dst[b.start:b.mid]); c != 0 {
				return c
			}
			return bytes.Compare(dst[a.mid:a.end], dst[b.mid:b.end])
		})
		tmp := append(sb.tmp[:0], dst[base:]...)
		out := dst[:base]
		for _, e := range entries {
			out = append(out, tmp[e.start-base:e.end-base]...)
		}
		sb.tmp = tmp
	}
	sb.entries = entries
	if cap(sb.tmp) <= 1<<20 && cap(sb.entries) <= 1<<16 {
		mapScratch.Put(sb)
	}
	return dst
}

func (c *mapCodec) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	n, k, isNil, err := count(src, c.ke.minSize()+c.ve.minSize())
	if err != nil {
		return 0, &pathError{t: c.t, index: -1, err: err}
	}
	out := reflect.NewAt(c.t, p).Elem()
	if isNil {
		out.SetZero()
		return k, nil
	}
	if n > 1 && c.ke.minSize() == 0 {
		// All keys of a type that encodes to nothing are equal.
		return 0, fmt.Errorf("%w: %v with %d entries", ErrCorrupt, c.t, n)
	}
	m := reflect.MakeMapWithSize(c.t, min(n, 1024))
	kv := reflect.New(c.t.Key()).Elem()
	vv := reflect.New(c.t.Elem()).Elem()
	kp, vp := kv.Addr().UnsafePointer(), vv.Addr().UnsafePointer()
	for i := range n {
		kv.SetZero()
		vv.SetZero()
		a, err := c.ke.decodePtr(src[k:], kp, depth)
		if err != nil {
			return 0, &pathError{t: c.t, field: "key", index: i, err: err}
		}
		k += a
		b, err := c.ve.decodePtr(src[k:], vp, depth)
		if err != nil {
			return 0, &pathError{t: c.t, field: "value", index: i, err: err}
		}
		k += b
		m.SetMapIndex(kv, vv)
	}
	out.Set(m)
	return k, nil
}

func (c *mapCodec) minSize() int { return 1 }

// pointerCodec writes 0 for nil, else 1 and the element.
type pointerCodec struct {
	t reflect.Type // element type
	e erased
}

func (c *pointerCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	q := *(*unsafe.Pointer)(p)
	if q == nil {
		return append(dst, 0)
	}
	return c.e.appendPtr(append(dst, 1), q)
}

func (c *pointerCodec) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	if len(src) == 0 {
		return 0, short("pointer flag", 1, 0)
	}
	switch src[0] {
	case 0:
		*(*unsafe.Pointer)(p) = nil
		return 1, nil
	case 1:
		q := reflect.New(c.t).UnsafePointer()
		n, err := c.e.decodePtr(src[1:], q, depth)
		if err != nil {
			return 0, &pathError{index: -1, err: err}
		}
		*(*unsafe.Pointer)(p) = q
		return 1 + n, nil
	}
	return 0, fmt.Errorf("%w: pointer flag %d", ErrCorrupt, src[0])
}

func (c *pointerCodec) minSize() int { return 1 }

// marshalCodec encodes types with MarshalBinary and UnmarshalBinary:
// uvarint length, then the bytes.
type marshalCodec struct{ t reflect.Type }

func (c *marshalCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	m := reflect.NewAt(c.t, p).Interface().(encoding.BinaryMarshaler)
	data, err := m.MarshalBinary()
	if err != nil {
		// Codec.Append cannot fail: a value that cannot be marshalled
		// is a bug of its type, as with a panicking String method.
		panic(fmt.Errorf("codec: %v.MarshalBinary: %w", c.t, err))
	}
	dst = appendUvarint(dst, uint64(len(data)))
	return append(dst, data...)
}

func (c *marshalCodec) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	n, k, err := length(src)
	if err != nil {
		return 0, err
	}
	v := reflect.NewAt(c.t, p)
	v.Elem().SetZero()
	if err := v.Interface().(encoding.BinaryUnmarshaler).UnmarshalBinary(src[k : k+n]); err != nil {
		return 0, fmt.Errorf("%w: %v.UnmarshalBinary: %w", ErrCorrupt, c.t, err)
	}
	return k + n, nil
}

func (c *marshalCodec) minSize() int { return 1 }

// foreignCodec calls, through reflection, a Codec[T] provided by a type
// nested in a reflection-built codec whose implementation is not from this
// package (for example spark.KV inside a slice). It is correct but slow;
// a Provider returning a codec built by this package avoids it.
type foreignCodec struct {
	t        reflect.Type
	app, dec reflect.Value
	min      int
}

// checkCodecType checks that c, provided for t, is a Codec[t].
func checkCodecType(t reflect.Type, c any) error {
	v := reflect.ValueOf(c)
	app, dec := v.MethodByName("Append"), v.MethodByName("Decode")
	pt, bt := reflect.PointerTo(t), reflect.TypeFor[[]byte]()
	if !app.IsValid() || !dec.IsValid() ||
		app.Type() != reflect.FuncOf([]reflect.Type{bt, pt}, []reflect.Type{bt}, false) ||
		dec.Type() != reflect.FuncOf([]reflect.Type{bt, pt}, []reflect.Type{reflect.TypeFor[int](), reflect.TypeFor[error]()}, false) {
		return fmt.Errorf("GosparkCodec of %v returned %T, want codec.Codec[%v]", t, c, t)
	}
	return nil
}

func newForeign(t reflect.Type, c any) (erased, error) {
	v := reflect.ValueOf(c)
	f := &foreignCodec{t: t, app: v.MethodByName("Append"), dec: v.MethodByName("Decode"), min: 1}
	if len(f.appendPtr(nil, reflect.New(t).UnsafePointer())) == 0 {
		f.min = 0
	}
	return f, nil
}

func (c *foreignCodec) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	out := c.app.Call([]reflect.Value{reflect.ValueOf(dst), reflect.NewAt(c.t, p)})
	return out[0].Bytes()
}

func (c *foreignCodec) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	out := c.dec.Call([]reflect.Value{reflect.ValueOf(src), reflect.NewAt(c.t, p)})
	n := int(out[0].Int())
	if err, _ := out[1].Interface().(error); err != nil {
		return 0, err
	}
	if n < 0 || n > len(src) {
		return 0, fmt.Errorf("%w: %v codec consumed %d of %d bytes", ErrCorrupt, c.t, n, len(src))
	}
	return n, nil
}

func (c *foreignCodec) minSize() int { return c.min }
