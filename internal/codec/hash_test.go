package codec

import (
	"math"
	"sync"
	"testing"

	"github.com/cespare/xxhash/v2"
)

func TestMix64(t *testing.T) {
	// The first outputs of SplitMix64 seeded with 0 are mix64 of 0,
	// golden, 2*golden...; the published sequence starts with these.
	tests := []struct {
		in, want uint64
	}{
		{0, 0xe220a8397b1dcdaf},
		{0x9e3779b97f4a7c15, 0x6e789e6aa1b965f4},
		{0x3c6ef372fe94f82a, 0x06c45d188009454f},
	}
	for _, tt := range tests {
		if got := mix64(tt.in); got != tt.want {
			t.Errorf("mix64(%#x) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
}

func hashOf[K any](k K) uint64 { return HasherFor(MustFor[K]())(&k) }

func TestHasherFor(t *testing.T) {
	type key struct {
		A string
		B int
	}
	keyEnc := MustFor[key]().Append(nil, &key{"a", 1})
	tests := []struct {
		name string
		got  uint64
		want uint64
	}{
		{"int", hashOf(-1), mix64(math.MaxUint64)},
		{"int64 and int agree", hashOf(int64(42)), hashOf(42)},
		{"int32 sign-extends", hashOf(int32(-7)), hashOf(int64(-7))},
		{"int8 sign-extends", hashOf(int8(-7)), hashOf(int64(-7))},
		{"int16", hashOf(int16(300)), mix64(300)},
		{"named int", hashOf(UserID(5)), mix64(5)},
		{"uint8", hashOf(uint8(200)), mix64(200)},
		{"uint16", hashOf(uint16(200)), mix64(200)},
		{"uint32", hashOf(uint32(1 << 31)), mix64(1 << 31)},
		{"uint64", hashOf(uint64(math.MaxUint64)), mix64(math.MaxUint64)},
		{"uint", hashOf(uint(9)), mix64(9)},
		{"bool", hashOf(true), mix64(1)},
		{"float64 bits", hashOf(1.5), mix64(math.Float64bits(1.5))},
		{"float64 -0 is +0", hashOf(math.Copysign(0, -1)), hashOf(0.0)},
		{"float32 bits", hashOf(float32(1.5)), mix64(uint64(math.Float32bits(1.5)))},
		{"float32 -0 is +0", hashOf(float32(math.Copysign(0, -1))), hashOf(float32(0))},
		{"string", hashOf("spark"), xxhash.Sum64String("spark")},
		{"empty string", hashOf(""), 0xef46db3751d8e999},
		{"named string", hashOf(Name("spark")), xxhash.Sum64String("spark")},
		{"bytes", hashOf([]byte("spark")), xxhash.Sum64String("spark")},
		{"struct{}", hashOf(struct{}{}), mix64(0)},
		{"struct via encoding", hashOf(key{"a", 1}), xxhash.Sum64(keyEnc)},
		{"Provider via encoding", hashOf(pairKV[string, int]{"a", 1}), xxhash.Sum64(keyEnc)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("hash = %#x, want %#x", tt.got, tt.want)
			}
		})
	}
}

func TestHasherSpreadsConsecutiveInts(t *testing.T) {
	h := HasherFor(MustFor[int]())
	const parts = 16
	var counts [parts]int
	for i := range 16000 {
		counts[h(&i)%parts]++
	}
	for p, n := range counts {
		if n < 800 || n > 1200 {
			t.Fatalf("partition %d got %d of 16000 consecutive keys: %v", p, n, counts)
		}
	}
}

func TestHasherConcurrent(t *testing.T) {
	type key struct {
		S []string
		M map[int]bool
	}
	h := HasherFor(MustFor[key]())
	k := key{S: []string{"x", "y"}, M: map[int]bool{1: true, 2: false, 3: true}}
	want := h(&k)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if got := h(&k); got != want {
					t.Errorf("hash = %#x, want %#x", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
