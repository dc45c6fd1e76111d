package codec

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// op names the basic kinds that struct and slice codecs encode inline, with
// a switch instead of a call through the erased interface: records are
// mostly structs of such fields, and the call would cost as much as the
// encoding.
type op uint8

const (
	opNone op = iota // call the element's erased codec
	opBool
	opByte // int8, uint8
	opI16
	opI32
	opI64
	opU16
	opU32
	opUint // uint, uintptr: uvarint
	opU64  // fixed 8 bytes
	opF32
	opF64
	opString
	opBytes
)

// opOf returns the op of the erased codec e, which the builder made for a
// type of a basic kind, or opNone.
func opOf(e erased) op {
	switch e.(type) {
	case boolCodec[bool]:
		return opBool
	case i8Codec[int8], u8Codec[uint8]:
		return opByte
	case i16Codec[int16]:
		return opI16
	case i32Codec[int32]:
		return opI32
	case i64Codec[int64]:
		return opI64
	case u16Codec[uint16]:
		return opU16
	case u32Codec[uint32]:
		return opU32
	case uintCodec[uint]:
		return opUint
	case u64Codec[uint64]:
		return opU64
	case f32Codec[float32]:
		return opF32
	case f64Codec[float64]:
		return opF64
	case stringCodec[string]:
		return opString
	case bytesCodec[[]byte]:
		return opBytes
	}
	return opNone
}

// appendFields appends the fields of the struct at p. It is the hot loop
// of reflection-built codecs: the most common ops are inlined, and an
// extra call here costs as much as encoding an int.
func appendFields(dst []byte, f []field, p unsafe.Pointer) []byte {
	for i := range f {
		q := unsafe.Add(p, f[i].off)
		switch f[i].op {
		case opNone:
			dst = f[i].e.appendPtr(dst, q)
		case opBool, opByte:
			dst = append(dst, *(*byte)(q))
		case opI32:
			dst = binary.AppendVarint(dst, int64(*(*int32)(q)))
		case opI64:
			dst = binary.AppendVarint(dst, *(*int64)(q))
		case opUint:
			dst = binary.AppendUvarint(dst, *(*uint64)(q))
		case opU64, opF64:
			dst = binary.LittleEndian.AppendUint64(dst, *(*uint64)(q))
		case opString:
			s := *(*string)(q)
			dst = append(binary.AppendUvarint(dst, uint64(len(s))), s...)
		default:
			dst = appendOp(dst, f[i].op, f[i].e, q)
		}
	}
	return dst
}

// appendOp appends the encoding of the value at q, of op o, or calls e.
func appendOp(dst []byte, o op, e erased, q unsafe.Pointer) []byte {
	switch o {
	case opBool, opByte:
		return append(dst, *(*byte)(q))
	case opI16:
		return binary.AppendVarint(dst, int64(*(*int16)(q)))
	case opI32:
		return binary.AppendVarint(dst, int64(*(*int32)(q)))
	case opI64:
		return binary.AppendVarint(dst, *(*int64)(q))
	case opU16:
		return binary.AppendUvarint(dst, uint64(*(*uint16)(q)))
	case opU32:
		return binary.AppendUvarint(dst, uint64(*(*uint32)(q)))
	case opUint:
		return binary.AppendUvarint(dst, *(*uint64)(q))
	case opU64, opF64:
		return binary.LittleEndian.AppendUint64(dst, *(*uint64)(q))
	case opF32:
		return binary.LittleEndian.AppendUint32(dst, *(*uint32)(q))
	case opString:
		s := *(*string)(q)
		return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
	case opBytes:
		b := *(*[]byte)(q)
		return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
	}
	return e.appendPtr(dst, q)
}

// decodeOp decodes into the value at q, of op o, or calls e.
func decodeOp(src []byte, o op, e erased, q unsafe.Pointer, depth int) (int, error) {
	switch o {
	case opBool:
		if len(src) == 0 || src[0] > 1 {
			return boolCodec[bool]{}.decodePtr(src, q, depth) // the error
		}
		*(*byte)(q) = src[0]
		return 1, nil
	case opByte:
		if len(src) == 0 {
			return 0, short("byte", 1, 0)
		}
		*(*byte)(q) = src[0]
		return 1, nil
	case opI64:
		x, n := binary.Varint(src)
		if n <= 0 {
			return 0, varintErr(n)
		}
		*(*int64)(q) = x
		return n, nil
	case opUint:
		x, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, varintErr(n)
		}
		*(*uint64)(q) = x
		return n, nil
	case opI32:
		x, n := binary.Varint(src)
		if n <= 0 || x != int64(int32(x)) {
			return i32Codec[int32]{}.decodePtr(src, q, depth) // the error
		}
		*(*int32)(q) = int32(x)
		return n, nil
	case opI16:
		x, n := binary.Varint(src)
		if n <= 0 || x != int64(int16(x)) {
			return i16Codec[int16]{}.decodePtr(src, q, depth) // the error
		}
		*(*int16)(q) = int16(x)
		return n, nil
	case opU32:
		x, n := binary.Uvarint(src)
		if n <= 0 || x > math.MaxUint32 {
			return u32Codec[uint32]{}.decodePtr(src, q, depth) // the error
		}
		*(*uint32)(q) = uint32(x)
		return n, nil
	case opU16:
		x, n := binary.Uvarint(src)
		if n <= 0 || x > math.MaxUint16 {
			return u16Codec[uint16]{}.decodePtr(src, q, depth) // the error
		}
		*(*uint16)(q) = uint16(x)
		return n, nil
	case opU64, opF64:
		if len(src) < 8 {
			return 0, short("8-byte value", 8, len(src))
		}
		*(*uint64)(q) = binary.LittleEndian.Uint64(src)
		return 8, nil
	case opF32:
		if len(src) < 4 {
			return 0, short("float32", 4, len(src))
		}
		*(*uint32)(q) = binary.LittleEndian.Uint32(src)
		return 4, nil
	case opString:
		u, k := binary.Uvarint(src)
		if k <= 0 {
			return 0, varintErr(k)
		}
		if u > uint64(len(src)-k) {
			return 0, lengthErr(u, len(src)-k)
		}
		n := k + int(u)
		*(*string)(q) = string(src[k:n])
		return n, nil
	case opBytes:
		return bytesCodec[[]byte]{}.decodePtr(src, q, depth)
	}
	return e.decodePtr(src, q, depth)
}

// allocOp allocates an array of n elements of op o's Go type (any type of
// the same kind has the same layout), or returns nil for opNone.
func allocOp(o op, n int) unsafe.Pointer {
	switch o {
	case opBool, opByte:
		return unsafe.Pointer(unsafe.SliceData(make([]byte, n)))
	case opI16, opU16:
		return unsafe.Pointer(unsafe.SliceData(make([]uint16, n)))
	case opI32, opU32, opF32:
		return unsafe.Pointer(unsafe.SliceData(make([]uint32, n)))
	case opI64, opUint, opU64, opF64:
		return unsafe.Pointer(unsafe.SliceData(make([]uint64, n)))
	case opString:
		return unsafe.Pointer(unsafe.SliceData(make([]string, n)))
	case opBytes:
		return unsafe.Pointer(unsafe.SliceData(make([][]byte, n)))
	}
	return nil
}
