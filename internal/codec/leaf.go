package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// The leaf codecs below are generic in T only so that For[T] can return them
// as Codec[T] for named types too (type UserID int64); they reinterpret *T as
// a pointer to the underlying basic type, which For has checked by kind.
// The same methods serve as erased codecs inside reflection-built ones,
// instantiated with the basic type itself.

// appendUvarint and appendVarint are binary.AppendUvarint and
// binary.AppendVarint, which inline into their callers.
func appendUvarint(dst []byte, x uint64) []byte { return binary.AppendUvarint(dst, x) }

func appendVarint(dst []byte, x int64) []byte { return binary.AppendVarint(dst, x) }

// Decoders call binary.Uvarint and binary.Varint directly, so that they
// inline, and turn their n <= 0 into an error with varintErr.
func varintErr(n int) error {
	if n == 0 {
		return fmt.Errorf("%w: varint cut off", ErrShort)
	}
	return fmt.Errorf("%w: varint overflows 64 bits", ErrCorrupt)
}

// uvarint decodes an unsigned varint (for the composite codecs).
func uvarint(src []byte) (uint64, int, error) {
	x, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, 0, varintErr(n)
	}
	return x, n, nil
}

// length decodes a length prefix and checks that n bytes follow it.
func length(src []byte) (n, k int, err error) {
	u, k := binary.Uvarint(src)
	if k <= 0 {
		return 0, 0, varintErr(k)
	}
	if u > uint64(len(src)-k) {
		return 0, 0, lengthErr(u, len(src)-k)
	}
	return int(u), k, nil
}

func lengthErr(n uint64, left int) error {
	return fmt.Errorf("%w: length %d exceeds the %d bytes left", ErrShort, n, left)
}

func short(what string, need, have int) error {
	return fmt.Errorf("%w: %s needs %d bytes, %d left", ErrShort, what, need, have)
}

func outOfRange(what string, v any) error {
	return fmt.Errorf("%w: %v out of range for %s", ErrCorrupt, v, what)
}

// boolCodec: one byte, 0 or 1.
type boolCodec[T any] struct{}

func (boolCodec[T]) Append(dst []byte, v *T) []byte {
	if *(*bool)(unsafe.Pointer(v)) {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func (boolCodec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) == 0 {
		return 0, short("bool", 1, 0)
	}
	if src[0] > 1 {
		return 0, fmt.Errorf("%w: bool byte %d", ErrCorrupt, src[0])
	}
	*(*bool)(unsafe.Pointer(v)) = src[0] == 1
	return 1, nil
}

func (c boolCodec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c boolCodec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (boolCodec[T]) minSize() int { return 1 }

// i8Codec and u8Codec: the byte itself (a varint would take two bytes for
// half the values).
type i8Codec[T any] struct{}

func (i8Codec[T]) Append(dst []byte, v *T) []byte { return append(dst, *(*byte)(unsafe.Pointer(v))) }
func (i8Codec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) == 0 {
		return 0, short("int8", 1, 0)
	}
	*(*byte)(unsafe.Pointer(v)) = src[0]
	return 1, nil
}
func (c i8Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c i8Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (i8Codec[T]) minSize() int { return 1 }

type u8Codec[T any] struct{}

func (u8Codec[T]) Append(dst []byte, v *T) []byte { return append(dst, *(*byte)(unsafe.Pointer(v))) }
func (u8Codec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) == 0 {
		return 0, short("uint8", 1, 0)
	}
	*(*byte)(unsafe.Pointer(v)) = src[0]
	return 1, nil
}
func (c u8Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c u8Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (u8Codec[T]) minSize() int { return 1 }

// Signed integers: zig-zag varint.
type i16Codec[T any] struct{}

func (i16Codec[T]) Append(dst []byte, v *T) []byte {
	return appendVarint(dst, int64(*(*int16)(unsafe.Pointer(v))))
}
func (i16Codec[T]) Decode(src []byte, v *T) (int, error) {
	x, n := binary.Varint(src)
	if n <= 0 {
		return 0, varintErr(n)
	}
	if x != int64(int16(x)) {
		return 0, outOfRange("int16", x)
	}
	*(*int16)(unsafe.Pointer(v)) = int16(x)
	return n, nil
}
func (c i16Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c i16Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (i16Codec[T]) minSize() int { return 1 }

type i32Codec[T any] struct{}

func (i32Codec[T]) Append(dst []byte, v *T) []byte {
	return appendVarint(dst, int64(*(*int32)(unsafe.Pointer(v))))
}
func (i32Codec[T]) Decode(src []byte, v *T) (int, error) {
	x, n := binary.Varint(src)
	if n <= 0 {
		return 0, varintErr(n)
	}
	if x != int64(int32(x)) {
		return 0, outOfRange("int32", x)
	}
	*(*int32)(unsafe.Pointer(v)) = int32(x)
	return n, nil
}
func (c i32Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c i32Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (i32Codec[T]) minSize() int { return 1 }

type i64Codec[T any] struct{}

func (i64Codec[T]) Append(dst []byte, v *T) []byte {
	return appendVarint(dst, *(*int64)(unsafe.Pointer(v)))
}
func (i64Codec[T]) Decode(src []byte, v *T) (int, error) {
	x, n := binary.Varint(src)
	if n <= 0 {
		return 0, varintErr(n)
	}
	*(*int64)(unsafe.Pointer(v)) = x
	return n, nil
}
func (c i64Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c i64Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (i64Codec[T]) minSize() int { return 1 }

// Unsigned integers: varint, except uint64.
type u16Codec[T any] struct{}

func (u16Codec[T]) Append(dst []byte, v *T) []byte {
	return appendUvarint(dst, uint64(*(*uint16)(unsafe.Pointer(v))))
}
func (u16Codec[T]) Decode(src []byte, v *T) (int, error) {
	x, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, varintErr(n)
	}
	if x > math.MaxUint16 {
		return 0, outOfRange("uint16", x)
	}
	*(*uint16)(unsafe.Pointer(v)) = uint16(x)
	return n, nil
}
func (c u16Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c u16Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (u16Codec[T]) minSize() int { return 1 }

type u32Codec[T any] struct{}

func (u32Codec[T]) Append(dst []byte, v *T) []byte {
	return appendUvarint(dst, uint64(*(*uint32)(unsafe.Pointer(v))))
}
func (u32Codec[T]) Decode(src []byte, v *T) (int, error) {
	x, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, varintErr(n)
	}
	if x > math.MaxUint32 {
		return 0, outOfRange("uint32", x)
	}
	*(*uint32)(unsafe.Pointer(v)) = uint32(x)
	return n, nil
}
func (c u32Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c u32Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (u32Codec[T]) minSize() int { return 1 }

// uintCodec: uint and uintptr as uvarint.
type uintCodec[T any] struct{}

func (uintCodec[T]) Append(dst []byte, v *T) []byte {
	return appendUvarint(dst, *(*uint64)(unsafe.Pointer(v)))
}
func (uintCodec[T]) Decode(src []byte, v *T) (int, error) {
	x, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, varintErr(n)
	}
	*(*uint64)(unsafe.Pointer(v)) = x
	return n, nil
}
func (c uintCodec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c uintCodec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (uintCodec[T]) minSize() int { return 1 }

// u64Codec: uint64 as 8 bytes little endian. uint64 keys are mostly hashes
// and identifiers, spread over the whole range, where a varint takes 9.5
// bytes on average and is ten times slower to encode and decode (see
// BenchmarkUint64Encoding); counters are better kept in int64 or uint.
type u64Codec[T any] struct{}

func (u64Codec[T]) Append(dst []byte, v *T) []byte {
	return binary.LittleEndian.AppendUint64(dst, *(*uint64)(unsafe.Pointer(v)))
}
func (u64Codec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) < 8 {
		return 0, short("uint64", 8, len(src))
	}
	*(*uint64)(unsafe.Pointer(v)) = binary.LittleEndian.Uint64(src)
	return 8, nil
}
func (c u64Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c u64Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (u64Codec[T]) minSize() int { return 8 }

// Floats: IEEE 754 bits, little endian.
type f32Codec[T any] struct{}

func (f32Codec[T]) Append(dst []byte, v *T) []byte {
	return binary.LittleEndian.AppendUint32(dst, *(*uint32)(unsafe.Pointer(v)))
}
func (f32Codec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) < 4 {
		return 0, short("float32", 4, len(src))
	}
	*(*uint32)(unsafe.Pointer(v)) = binary.LittleEndian.Uint32(src)
	return 4, nil
}
func (c f32Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c f32Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (f32Codec[T]) minSize() int { return 4 }

type f64Codec[T any] struct{}

func (f64Codec[T]) Append(dst []byte, v *T) []byte {
	return binary.LittleEndian.AppendUint64(dst, *(*uint64)(unsafe.Pointer(v)))
}
func (f64Codec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) < 8 {
		return 0, short("float64", 8, len(src))
	}
	*(*uint64)(unsafe.Pointer(v)) = binary.LittleEndian.Uint64(src)
	return 8, nil
}
func (c f64Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c f64Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (f64Codec[T]) minSize() int { return 8 }

// Complex numbers: real then imaginary part, as floats.
type c64Codec[T any] struct{}

func (c64Codec[T]) Append(dst []byte, v *T) []byte {
	return binary.LittleEndian.AppendUint64(dst, *(*uint64)(unsafe.Pointer(v)))
}
func (c64Codec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) < 8 {
		return 0, short("complex64", 8, len(src))
	}
	*(*uint64)(unsafe.Pointer(v)) = binary.LittleEndian.Uint64(src)
	return 8, nil
}
func (c c64Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c c64Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (c64Codec[T]) minSize() int { return 8 }

type c128Codec[T any] struct{}

func (c128Codec[T]) Append(dst []byte, v *T) []byte {
	w := (*[2]uint64)(unsafe.Pointer(v))
	dst = binary.LittleEndian.AppendUint64(dst, w[0])
	return binary.LittleEndian.AppendUint64(dst, w[1])
}
func (c128Codec[T]) Decode(src []byte, v *T) (int, error) {
	if len(src) < 16 {
		return 0, short("complex128", 16, len(src))
	}
	w := (*[2]uint64)(unsafe.Pointer(v))
	w[0] = binary.LittleEndian.Uint64(src)
	w[1] = binary.LittleEndian.Uint64(src[8:])
	return 16, nil
}
func (c c128Codec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte { return c.Append(dst, (*T)(p)) }
func (c c128Codec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (c128Codec[T]) minSize() int { return 16 }

// stringCodec: varint length, then the bytes. Decoding allocates the string
// (one allocation; none for the empty string).
type stringCodec[T any] struct{}

func (stringCodec[T]) Append(dst []byte, v *T) []byte {
	s := *(*string)(unsafe.Pointer(v))
	return append(appendUvarint(dst, uint64(len(s))), s...)
}
func (stringCodec[T]) Decode(src []byte, v *T) (int, error) {
	n, k, err := length(src)
	if err != nil {
		return 0, err
	}
	*(*string)(unsafe.Pointer(v)) = string(src[k : k+n])
	return k + n, nil
}
func (c stringCodec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	return c.Append(dst, (*T)(p))
}
func (c stringCodec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (stringCodec[T]) minSize() int { return 1 }

// bytesCodec: varint length, then the bytes. Decoding copies them into a new
// slice (nil when empty): the input is typically a reused block buffer.
type bytesCodec[T any] struct{}

func (bytesCodec[T]) Append(dst []byte, v *T) []byte {
	b := *(*[]byte)(unsafe.Pointer(v))
	return append(appendUvarint(dst, uint64(len(b))), b...)
}
func (bytesCodec[T]) Decode(src []byte, v *T) (int, error) {
	n, k, err := length(src)
	if err != nil {
		return 0, err
	}
	var b []byte
	if n > 0 {
		b = make([]byte, n)
		copy(b, src[k:])
	}
	*(*[]byte)(unsafe.Pointer(v)) = b
	return k + n, nil
}
func (c bytesCodec[T]) appendPtr(dst []byte, p unsafe.Pointer) []byte {
	return c.Append(dst, (*T)(p))
}
func (c bytesCodec[T]) decodePtr(src []byte, p unsafe.Pointer, _ int) (int, error) {
	return c.Decode(src, (*T)(p))
}
func (bytesCodec[T]) minSize() int { return 1 }

// emptyCodec: struct{} and other types that hold nothing encode to nothing.
type emptyCodec[T any] struct{}

func (emptyCodec[T]) Append(dst []byte, _ *T) []byte                { return dst }
func (emptyCodec[T]) Decode(_ []byte, _ *T) (int, error)            { return 0, nil }
func (emptyCodec[T]) appendPtr(dst []byte, _ unsafe.Pointer) []byte { return dst }
func (emptyCodec[T]) decodePtr(_ []byte, _ unsafe.Pointer, _ int) (int, error) {
	return 0, nil
}
func (emptyCodec[T]) minSize() int { return 0 }
