// Encoding and decoding 1024 records, best of five runs of
//
//	go test -run XXX -bench . -benchtime 200ms -count 5 ./internal/codec
//
// on a 2-vCPU AMD EPYC (Turin) VM, Go 1.26, shared with other builds
// (ns per batch; ratio to "hand", hand-written Go inlined into the loop, and
// in brackets to "handcodec", the same code behind the Codec interface):
//
//	                       encode                  decode
//	int64 pairs  hand       5,921                  11,220
//	             handcodec  7,592 (1.28)           12,892 (1.15)
//	             reflect    9,257 (1.56) [1.22]    14,926 (1.33) [1.16]
//	             codec     11,727 (1.98) [1.54]    16,344 (1.46) [1.27]
//	string pairs hand       5,842                  25,258
//	             reflect    9,893 (1.69)           30,420 (1.20)
//	             codec      9,995 (1.71)           33,053 (1.31)
//	struct       hand      13,862                  72,071
//	             reflect   20,517 (1.48)           86,675 (1.20)
//
// "reflect" is For's struct codec; "codec" composes leaf codecs through the
// Codec interface as spark.KV's GosparkCodec does, one dynamic call per
// field. Encoding tiny records costs a fixed ~3 ns per record over inlined
// code (the call, the field loop and the kind switch). uint64 as fixed
// bytes: 1,956 encode / 3,663 decode, against 9,463 / 13,175 as varints.
// HasherFor: int64 1,385 (hand 1,190), string 6,483 (hand xxhash 5,826),
// struct 35,280 (hand encode+xxhash 22,165).

package codec

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// Each benchmark encodes or decodes a batch of benchN records. "hand" is
// hand-written Go inlined into the loop; "handcodec" is the same code
// behind the Codec interface, as the shuffle would call it; "codec" composes
// leaf codecs the way spark.KV's GosparkCodec does; "reflect" is For's
// reflection-built struct codec.

const benchN = 1024

type kv[K, V any] struct {
	Key   K
	Value V
}

// kvOf composes two codecs the way spark.KV's codec does.
type kvOf[K, V any] struct {
	k Codec[K]
	v Codec[V]
}

func (c kvOf[K, V]) Append(dst []byte, p *kv[K, V]) []byte {
	return c.v.Append(c.k.Append(dst, &p.Key), &p.Value)
}

func (c kvOf[K, V]) Decode(src []byte, p *kv[K, V]) (int, error) {
	n, err := c.k.Decode(src, &p.Key)
	if err != nil {
		return 0, err
	}
	m, err := c.v.Decode(src[n:], &p.Value)
	if err != nil {
		return 0, err
	}
	return n + m, nil
}

func int64Pairs() []kv[int64, int64] {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]kv[int64, int64], benchN)
	for i := range out {
		out[i] = kv[int64, int64]{r.Int64N(1 << 40), r.Int64N(1000)}
	}
	return out
}

func stringPairs() []kv[string, int64] {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]kv[string, int64], benchN)
	for i := range out {
		out[i] = kv[string, int64]{"user-" + strconv.Itoa(r.IntN(1e6)), r.Int64N(1000)}
	}
	return out
}

type benchRec struct {
	ID    int64
	Name  string
	Score float64
	Tags  []string
}

func benchRecs() []benchRec {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]benchRec, benchN)
	for i := range out {
		out[i] = benchRec{r.Int64N(1 << 30), "name-" + strconv.Itoa(i), r.Float64(), []string{"a", "bb"}}
	}
	return out
}

func benchEncode[T any](b *testing.B, c Codec[T], recs []T) []byte {
	var buf []byte
	for i := range recs {
		buf = c.Append(buf, &recs[i])
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i := range recs {
			buf = c.Append(buf, &recs[i])
		}
	}
	return buf
}

func benchDecode[T any](b *testing.B, c Codec[T], recs []T) {
	var buf []byte
	for i := range recs {
		buf = c.Append(buf, &recs[i])
	}
	out := make([]T, len(recs))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		src := buf
		for i := range out {
			n, err := c.Decode(src, &out[i])
			if err != nil {
				b.Fatal(err)
			}
			src = src[n:]
		}
	}
}

// handKV is a hand-written Codec of int64 pairs: the fair baseline for the
// shuffle, which calls the record codec through the Codec interface.
type handKV struct{}

func (handKV) Append(dst []byte, p *kv[int64, int64]) []byte {
	return binary.AppendVarint(binary.AppendVarint(dst, p.Key), p.Value)
}

func (handKV) Decode(src []byte, p *kv[int64, int64]) (int, error) {
	k, n := binary.Varint(src)
	if n <= 0 {
		return 0, ErrCorrupt
	}
	v, m := binary.Varint(src[n:])
	if m <= 0 {
		return 0, ErrCorrupt
	}
	p.Key, p.Value = k, v
	return n + m, nil
}

func BenchmarkInt64Pair(b *testing.B) {
	recs := int64Pairs()
	ic := MustFor[int64]()
	b.Run("encode/handcodec", func(b *testing.B) { benchEncode(b, Codec[kv[int64, int64]](handKV{}), recs) })
	b.Run("decode/handcodec", func(b *testing.B) { benchDecode(b, Codec[kv[int64, int64]](handKV{}), recs) })
	b.Run("encode/codec", func(b *testing.B) { benchEncode(b, Codec[kv[int64, int64]](kvOf[int64, int64]{ic, ic}), recs) })
	b.Run("encode/reflect", func(b *testing.B) { benchEncode(b, MustFor[kv[int64, int64]](), recs) })
	b.Run("encode/hand", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			for i := range recs {
				buf = binary.AppendVarint(binary.AppendVarint(buf, recs[i].Key), recs[i].Value)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("decode/codec", func(b *testing.B) { benchDecode(b, Codec[kv[int64, int64]](kvOf[int64, int64]{ic, ic}), recs) })
	b.Run("decode/reflect", func(b *testing.B) { benchDecode(b, MustFor[kv[int64, int64]](), recs) })
	b.Run("decode/hand", func(b *testing.B) {
		var buf []byte
		for i := range recs {
			buf = binary.AppendVarint(binary.AppendVarint(buf, recs[i].Key), recs[i].Value)
		}
		out := make([]kv[int64, int64], len(recs))
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			src := buf
			for i := range out {
				k, n := binary.Varint(src)
				if n <= 0 {
					b.Fatal("bad varint")
				}
				v, m := binary.Varint(src[n:])
				if m <= 0 {
					b.Fatal("bad varint")
				}
				out[i] = kv[int64, int64]{k, v}
				src = src[n+m:]
			}
		}
	})
}

func BenchmarkStringPair(b *testing.B) {
	recs := stringPairs()
	c := Codec[kv[string, int64]](kvOf[string, int64]{MustFor[string](), MustFor[int64]()})
	b.Run("encode/codec", func(b *testing.B) { benchEncode(b, c, recs) })
	b.Run("encode/reflect", func(b *testing.B) { benchEncode(b, MustFor[kv[string, int64]](), recs) })
	b.Run("encode/hand", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			for i := range recs {
				buf = binary.AppendUvarint(buf, uint64(len(recs[i].Key)))
				buf = append(buf, recs[i].Key...)
				buf = binary.AppendVarint(buf, recs[i].Value)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("decode/codec", func(b *testing.B) { benchDecode(b, c, recs) })
	b.Run("decode/reflect", func(b *testing.B) { benchDecode(b, MustFor[kv[string, int64]](), recs) })
	b.Run("decode/hand", func(b *testing.B) {
		var buf []byte
		for i := range recs {
			buf = c.Append(buf, &recs[i])
		}
		out := make([]kv[string, int64], len(recs))
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			src := buf
			for i := range out {
				l, n := binary.Uvarint(src)
				if n <= 0 || l > uint64(len(src)-n) {
					b.Fatal("bad length")
				}
				s := string(src[n : n+int(l)])
				src = src[n+int(l):]
				v, m := binary.Varint(src)
				if m <= 0 {
					b.Fatal("bad varint")
				}
				out[i] = kv[string, int64]{s, v}
				src = src[m:]
			}
		}
	})
}

func appendRec(buf []byte, r *benchRec) []byte {
	buf = binary.AppendVarint(buf, r.ID)
	buf = binary.AppendUvarint(buf, uint64(len(r.Name)))
	buf = append(buf, r.Name...)
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(r.Score))
	buf = binary.AppendUvarint(buf, uint64(len(r.Tags))+1)
	for _, t := range r.Tags {
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		buf = append(buf, t...)
	}
	return buf
}

func BenchmarkStruct(b *testing.B) {
	recs := benchRecs()
	c := MustFor[benchRec]()
	b.Run("encode/codec", func(b *testing.B) { benchEncode(b, c, recs) })
	b.Run("encode/hand", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			for i := range recs {
				buf = appendRec(buf, &recs[i])
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("decode/codec", func(b *testing.B) { benchDecode(b, c, recs) })
	b.Run("decode/hand", func(b *testing.B) {
		var buf []byte
		for i := range recs {
			buf = appendRec(buf, &recs[i])
		}
		str := func(src []byte) (string, int) {
			l, n := binary.Uvarint(src)
			if n <= 0 || l > uint64(len(src)-n) {
				b.Fatal("bad length")
			}
			return string(src[n : n+int(l)]), n + int(l)
		}
		out := make([]benchRec, len(recs))
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			src := buf
			for i := range out {
				r := &out[i]
				var n int
				r.ID, n = binary.Varint(src)
				src = src[n:]
				r.Name, n = str(src)
				src = src[n:]
				r.Score = math.Float64frombits(binary.LittleEndian.Uint64(src))
				src = src[8:]
				l, n := binary.Uvarint(src)
				src = src[n:]
				if l > uint64(len(src)) {
					b.Fatal("bad count")
				}
				r.Tags = make([]string, l-1)
				for j := range r.Tags {
					r.Tags[j], n = str(src)
					src = src[n:]
				}
			}
		}
	})
}

func BenchmarkMap(b *testing.B) {
	m := map[string]int{}
	for i := range 16 {
		m["key"+strconv.Itoa(i)] = i
	}
	c := MustFor[map[string]int]()
	recs := []map[string]int{m}
	b.Run("encode", func(b *testing.B) { benchEncode(b, c, recs) })
	b.Run("decode", func(b *testing.B) { benchDecode(b, c, recs) })
}

// BenchmarkUint64Encoding backs the choice of 8 fixed bytes for uint64:
// random keys take 9.5 bytes as varints and ten times as long.
func BenchmarkUint64Encoding(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, benchN)
	for i := range keys {
		keys[i] = r.Uint64()
	}
	b.Run("fixed", func(b *testing.B) { benchEncode(b, MustFor[uint64](), keys) })
	b.Run("uvarint", func(b *testing.B) { benchEncode(b, Codec[uint64](uintCodec[uint64]{}), keys) })
	b.Run("fixed-decode", func(b *testing.B) { benchDecode(b, MustFor[uint64](), keys) })
	b.Run("uvarint-decode", func(b *testing.B) { benchDecode(b, Codec[uint64](uintCodec[uint64]{}), keys) })
}

var hashSink uint64

func BenchmarkHash(b *testing.B) {
	ints := make([]int64, benchN)
	for i := range ints {
		ints[i] = int64(i) * 7919
	}
	strs := stringPairs()
	recs := benchRecs()
	b.Run("int64/codec", func(b *testing.B) {
		h := HasherFor(MustFor[int64]())
		for b.Loop() {
			for i := range ints {
				hashSink += h(&ints[i])
			}
		}
	})
	b.Run("int64/hand", func(b *testing.B) {
		for b.Loop() {
			for i := range ints {
				hashSink += mix64(uint64(ints[i]))
			}
		}
	})
	b.Run("string/codec", func(b *testing.B) {
		h := HasherFor(MustFor[string]())
		for b.Loop() {
			for i := range strs {
				hashSink += h(&strs[i].Key)
			}
		}
	})
	b.Run("string/hand", func(b *testing.B) {
		for b.Loop() {
			for i := range strs {
				hashSink += xxhash.Sum64String(strs[i].Key)
			}
		}
	})
	b.Run("struct/codec", func(b *testing.B) {
		h := HasherFor(MustFor[benchRec]())
		b.ReportAllocs()
		for b.Loop() {
			for i := range recs {
				hashSink += h(&recs[i])
			}
		}
	})
	b.Run("struct/hand", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			for i := range recs {
				buf = appendRec(buf[:0], &recs[i])
				hashSink += xxhash.Sum64(buf)
			}
		}
	})
}
