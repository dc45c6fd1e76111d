package codec

import (
	"reflect"
	"unsafe"
)

// Slice returns a codec of []T that encodes each element with c. Its
// encoding is that of For[[]T] when c is For[T]: uvarint(len+1), or 0 for a
// nil slice, then the elements. Decoding allocates a new slice.
func Slice[T any](c Codec[T]) Codec[[]T] {
	return sliceOf[T]{c: c, e: eraseTyped(c)}
}

type sliceOf[T any] struct {
	c Codec[T]
	e erased
}

func (s sliceOf[T]) Append(dst []byte, v *[]T) []byte {
	if *v == nil {
		return append(dst, 0)
	}
	dst = appendUvarint(dst, uint64(len(*v))+1)
	if s.e.minSize() == 0 && unsafe.Sizeof((*v)[:1][0]) == 0 {
		return dst // elements that hold and encode nothing
	}
	for i := range *v {
		dst = s.c.Append(dst, &(*v)[i])
	}
	return dst
}

func (s sliceOf[T]) Decode(src []byte, v *[]T) (int, error) {
	return s.decodePtr(src, unsafe.Pointer(v), 0)
}

func (s sliceOf[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return s.Append(dst, (*[]T)(p)) }

func (s sliceOf[T]) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	min := s.e.minSize()
	n, k, isNil, err := count(src, min)
	if err != nil {
		return 0, &pathError{t: reflect.TypeFor[[]T](), index: -1, err: err}
	}
	v := (*[]T)(p)
	if isNil {
		*v = nil
		return k, nil
	}
	out := make([]T, n)
	if min > 0 || unsafe.Sizeof(out[:1][0]) > 0 {
		for i := range out {
			m, err := s.e.decodePtr(src[k:], unsafe.Pointer(&out[i]), depth)
			if err != nil {
				return 0, &pathError{t: reflect.TypeFor[[]T](), index: i, err: err}
			}
			k += m
		}
	}
	*v = out
	return k, nil
}

func (s sliceOf[T]) minSize() int { return 1 }

// Pair returns a codec of struct{ A A; B B } that encodes A with a, then B
// with b.
func Pair[A, B any](a Codec[A], b Codec[B]) Codec[struct {
	A A
	B B
}] {
	return pairOf[A, B]{a: a, b: b, ea: eraseTyped(a), eb: eraseTyped(b)}
}

type pairOf[A, B any] struct {
	a  Codec[A]
	b  Codec[B]
	ea erased
	eb erased
}

func (c pairOf[A, B]) Append(dst []byte, v *struct {
	A A
	B B
}) []byte {
	return c.b.Append(c.a.Append(dst, &v.A), &v.B)
}

func (c pairOf[A, B]) Decode(src []byte, v *struct {
	A A
	B B
}) (int, error) {
	return c.decodePtr(src, unsafe.Pointer(v), 0)
}

func (c pairOf[A, B]) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	return c.Append(dst, (*struct {
		A A
		B B
	})(p))
}

func (c pairOf[A, B]) decodePtr(src []byte, p unsafe.Pointer, depth int) (int, error) {
	v := (*struct {
		A A
		B B
	})(p)
	n, err := c.ea.decodePtr(src, unsafe.Pointer(&v.A), depth)
	if err != nil {
		return 0, &pathError{t: reflect.TypeFor[struct {
			A A
			B B
		}](), field: "A", index: -1, err: err}
	}
	m, err := c.eb.decodePtr(src[n:], unsafe.Pointer(&v.B), depth)
	if err != nil {
		return 0, &pathError{t: reflect.TypeFor[struct {
			A A
			B B
		}](), field: "B", index: -1, err: err}
	}
	return n + m, nil
}

func (c pairOf[A, B]) minSize() int { return c.ea.minSize() + c.eb.minSize() }
