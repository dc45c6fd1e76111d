package codec

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"unsafe"
)

// Codec encodes values of T into a compact binary form and back.
type Codec[T any] interface {
	// Append appends the encoding of *v to dst and returns the extended
	// slice.
	Append(dst []byte, v *T) []byte
	// Decode decodes one value from the front of src into *v, overwriting
	// it, and returns the number of bytes consumed. Bad input yields an
	// error wrapping ErrShort or ErrCorrupt.
	Decode(src []byte, v *T) (int, error)
}

// Provider lets generic containers defined elsewhere (spark.KV[K, V]) supply
// their own codec. For[T] calls GosparkCodec on the zero T and expects a
// Codec[T], or an error value explaining why there is none.
type Provider interface{ GosparkCodec() any }

var (
	// ErrShort reports input that ends in the middle of a value.
	ErrShort = errors.New("codec: short input")
	// ErrCorrupt reports input that cannot be the encoding of a value.
	ErrCorrupt = errors.New("codec: corrupt input")
)

// erased is the type-erased form every codec of this package implements:
// it works on a pointer to the value, so codecs of composite types built by
// reflection can call their elements' codecs without reflection.
type erased interface {
	appendPtr(dst []byte, p unsafe.Pointer) []byte
	// decodePtr decodes into *p; depth counts the recursive-type levels
	// entered so far (see forward).
	decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error)
	// minSize is the smallest number of bytes an encoding occupies; zero
	// only for types that always encode to nothing (struct{}, [0]T).
	minSize() int
}

// typed holds the result of For for one type: a Codec[T] or an error.
type typed struct {
	c   any
	err error
}

var (
	typedCache  sync.Map // reflect.Type -> typed
	erasedCache sync.Map // reflect.Type -> erased
)

var (
	providerType    = reflect.TypeFor[Provider]()
	marshalerType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	unmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// For returns the codec of T, built once per type and cached.
//
// Booleans, integers, floats, strings, byte slices and struct{} (and named
// types of them) use dedicated codecs. A type whose zero value implements
// Provider uses the codec it provides; one whose pointer implements
// encoding.BinaryMarshaler and encoding.BinaryUnmarshaler uses those.
// Structs (every field must be exported), arrays, slices, maps and pointers
// are encoded element by element by a codec assembled once with reflection.
// Channels, functions, interfaces and unsafe pointers have no codec.
// Append panics, with the error, if a MarshalBinary method fails.
func For[T any]() (Codec[T], error) {
	t := reflect.TypeFor[T]()
	if v, ok := typedCache.Load(t); ok {
		r := v.(typed)
		if r.err != nil {
			return nil, r.err
		}
		return r.c.(Codec[T]), nil
	}
	c, err := newFor[T](t)
	if err != nil {
		err = fmt.Errorf("codec for %v: %w", t, err)
	}
	v, _ := typedCache.LoadOrStore(t, typed{c: c, err: err})
	r := v.(typed)
	if r.err != nil {
		return nil, r.err
	}
	return r.c.(Codec[T]), nil
}

// MustFor is For for types known to have a codec; it panics otherwise.
func MustFor[T any]() Codec[T] {
	c, err := For[T]()
	if err != nil {
		panic(err)
	}
	return c
}

func newFor[T any](t reflect.Type) (Codec[T], error) {
	if c, ok, err := provided(t); ok || err != nil {
		if err != nil {
			return nil, err
		}
		tc, ok := c.(Codec[T])
		if !ok {
			return nil, fmt.Errorf("GosparkCodec returned %T, want codec.Codec[%v]", c, t)
		}
		return tc, nil
	}
	if !isMarshaler(t) {
		if c := leafFor[T](t); c != nil {
			return c, nil
		}
	}
	e, err := buildErased(t)
	if err != nil {
		return nil, err
	}
	if sc, ok := e.(*structCodec); ok {
		return structOf[T]{sc}, nil
	}
	return erasedCodec[T]{e}, nil
}

// provided returns the codec supplied by t's Provider implementation, if t
// has one. ok reports whether it does.
func provided(t reflect.Type) (c any, ok bool, err error) {
	if t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface {
		// A pointer's method set includes its element's methods, and
		// calling them on a nil pointer would panic.
		return nil, false, nil
	}
	var p Provider
	switch {
	case t.Implements(providerType):
		p = reflect.Zero(t).Interface().(Provider)
	case reflect.PointerTo(t).Implements(providerType):
		p = reflect.New(t).Interface().(Provider)
	default:
		return nil, false, nil
	}
	c = p.GosparkCodec()
	if err, isErr := c.(error); isErr {
		return nil, true, fmt.Errorf("GosparkCodec: %w", err)
	}
	if c == nil {
		return nil, true, errors.New("GosparkCodec returned nil")
	}
	return c, true, nil
}

func isMarshaler(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface {
		return false
	}
	pt := reflect.PointerTo(t)
	return pt.Implements(marshalerType) && pt.Implements(unmarshalerType)
}

// leafFor returns the dedicated codec of a type of a scalar kind, or nil.
func leafFor[T any](t reflect.Type) Codec[T] {
	switch t.Kind() {
	case reflect.Bool:
		return boolCodec[T]{}
	case reflect.Int8:
		return i8Codec[T]{}
	case reflect.Int16:
		return i16Codec[T]{}
	case reflect.Int32:
		return i32Codec[T]{}
	case reflect.Int64:
		return i64Codec[T]{}
	case reflect.Int:
		if strconv.IntSize == 64 {
			return i64Codec[T]{}
		}
		return i32Codec[T]{}
	case reflect.Uint8:
		return u8Codec[T]{}
	case reflect.Uint16:
		return u16Codec[T]{}
	case reflect.Uint32:
		return u32Codec[T]{}
	case reflect.Uint64:
		return u64Codec[T]{}
	case reflect.Uint, reflect.Uintptr:
		if t.Size() == 8 {
			return uintCodec[T]{}
		}
		return u32Codec[T]{}
	case reflect.Float32:
		return f32Codec[T]{}
	case reflect.Float64:
		return f64Codec[T]{}
	case reflect.Complex64:
		return c64Codec[T]{}
	case reflect.Complex128:
		return c128Codec[T]{}
	case reflect.String:
		return stringCodec[T]{}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !isSpecial(t.Elem()) {
			return bytesCodec[T]{}
		}
	case reflect.Struct:
		if t.Size() == 0 && t.NumField() == 0 {
			return emptyCodec[T]{}
		}
	}
	return nil
}

// isSpecial reports whether t has a codec of its own (Provider or
// marshaler), which a container of t must honour.
func isSpecial(t reflect.Type) bool {
	if isMarshaler(t) {
		return true
	}
	if t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface {
		return false
	}
	return t.Implements(providerType) || reflect.PointerTo(t).Implements(providerType)
}

// erasedCodec adapts an erased codec to Codec[T].
type erasedCodec[T any] struct{ e erased }

func (c erasedCodec[T]) Append(dst []byte, v *T) []byte {
	return c.e.appendPtr(dst, unsafe.Pointer(v))
}

func (c erasedCodec[T]) Decode(src []byte, v *T) (int, error) {
	return c.e.decodePtr(src, unsafe.Pointer(v), 0)
}

func (c erasedCodec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.e.appendPtr(dst, p) }
func (c erasedCodec[T]) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	return c.e.decodePtr(src, p, depth)
}
func (c erasedCodec[T]) minSize() int { return c.e.minSize() }

// typedErased adapts a Codec[T] of unknown implementation to erased; used by
// Slice and Pair when given codecs not made by this package.
type typedErased[T any] struct {
	c   Codec[T]
	min int
}

func eraseTyped[T any](c Codec[T]) erased {
	if e, ok := c.(erased); ok {
		return e
	}
	// The zero value's encoding is taken as the smallest: true of every
	// codec of this package and of any sensible codec. Bounds on decoded
	// lengths rest on it.
	var zero T
	return typedErased[T]{c: c, min: min(1, len(c.Append(nil, &zero)))}
}

func (c typedErased[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	return c.c.Append(dst, (*T)(p))
}

func (c typedErased[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	n, err := c.c.Decode(src, (*T)(p))
	if err == nil && (n < 0 || n > len(src)) {
		return 0, fmt.Errorf("%w: %T consumed %d of %d bytes", ErrCorrupt, c.c, n, len(src))
	}
	return n, err
}

func (c typedErased[T]) minSize() int { return c.min }

// structOf adapts a struct codec to Codec[T], calling it directly.
type structOf[T any] struct{ c *structCodec }

func (c structOf[T]) Append(dst []byte, v *T) []byte {
	return appendFields(dst, c.c.fields, unsafe.Pointer(v))
}

func (c structOf[T]) Decode(src []byte, v *T) (int, error) {
	return c.c.decodePtr(src, unsafe.Pointer(v), 0)
}

func (c structOf[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.c.appendPtr(dst, p) }
func (c structOf[T]) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	return c.c.decodePtr(src, p, depth)
}
func (c structOf[T]) minSize() int { return c.c.minSize() }
