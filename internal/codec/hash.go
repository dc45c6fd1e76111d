package codec

import (
	"math"
	"sync"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// HasherFor returns the hash HashPartitioner-style partitioning uses for
// keys encoded by c. It is the same in every process and run (no random
// seed): integers go through the Splitmix64 finalizer, floats too (by their
// bits, with -0 hashed as +0 since the two are equal keys), strings and byte
// slices through xxhash64, and every other type through xxhash64 of its
// encoding. The returned function is safe for concurrent use.
func HasherFor[K any](c Codec[K]) func(*K) uint64 {
	switch c.(type) {
	case boolCodec[K], u8Codec[K]:
		return func(k *K) uint64 { return mix64(uint64(*(*uint8)(unsafe.Pointer(k)))) }
	case i8Codec[K]:
		return func(k *K) uint64 { return mix64(uint64(*(*int8)(unsafe.Pointer(k)))) }
	case i16Codec[K]:
		return func(k *K) uint64 { return mix64(uint64(*(*int16)(unsafe.Pointer(k)))) }
	case i32Codec[K]:
		return func(k *K) uint64 { return mix64(uint64(*(*int32)(unsafe.Pointer(k)))) }
	case i64Codec[K]:
		return func(k *K) uint64 { return mix64(uint64(*(*int64)(unsafe.Pointer(k)))) }
	case u16Codec[K]:
		return func(k *K) uint64 { return mix64(uint64(*(*uint16)(unsafe.Pointer(k)))) }
	case u32Codec[K]:
		return func(k *K) uint64 { return mix64(uint64(*(*uint32)(unsafe.Pointer(k)))) }
	case u64Codec[K], uintCodec[K]:
		return func(k *K) uint64 { return mix64(*(*uint64)(unsafe.Pointer(k))) }
	case f32Codec[K]:
		return func(k *K) uint64 {
			f := *(*float32)(unsafe.Pointer(k))
			if f == 0 {
				return mix64(0)
			}
			return mix64(uint64(math.Float32bits(f)))
		}
	case f64Codec[K]:
		return func(k *K) uint64 {
			f := *(*float64)(unsafe.Pointer(k))
			if f == 0 {
				return mix64(0)
			}
			return mix64(math.Float64bits(f))
		}
	case stringCodec[K]:
		return func(k *K) uint64 { return xxhash.Sum64String(*(*string)(unsafe.Pointer(k))) }
	case bytesCodec[K]:
		return func(k *K) uint64 { return xxhash.Sum64(*(*[]byte)(unsafe.Pointer(k))) }
	case emptyCodec[K]:
		return func(*K) uint64 { return mix64(0) }
	}
	pool := &sync.Pool{New: func() any { return new([]byte) }}
	return func(k *K) uint64 {
		bp := pool.Get().(*[]byte)
		b := c.Append((*bp)[:0], k)
		h := xxhash.Sum64(b)
		if cap(b) <= 64<<10 {
			*bp = b
			pool.Put(bp)
		}
		return h
	}
}

// mix64 is the Splitmix64 finalizer: a fixed bijection of uint64 that
// spreads every input bit over the output, so that consecutive keys land in
// different partitions.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
