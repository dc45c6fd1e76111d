// Copied unchanged from ../shared/bench/wl (the shared workload definitions),
// so that every engine computes the same answers.

// Package benchwl defines the deterministic benchmark workloads shared by every
// engine under test. Everything here is a pure function of its inputs, so
// the same workload (and the same expected answer) can be regenerated on any
// machine and re-run against any engine.
package benchwl

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Default workload sizes. Override with the BENCH_* environment variables.
const (
	DefaultKVRecords   = 16_000_000 // (b) group/reduce-by-key
	DefaultKVKeys      = 1_000_000
	DefaultPiSamples   = 100_000_000 // (c) Monte Carlo Pi
	DefaultSortRecords = 10_000_000  // (d) sort
	DefaultPartitions  = 8
)

// SplitMix64 is the finalizer of the SplitMix64 generator. It is a cheap,
// well-mixed, stateless hash: the basis of every "random" value here.
func SplitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// KV returns record i of the key/value workload: a key in [0, nkeys) and a
// value in [0, 1000).
func KV(i int64, nkeys int64) (key, value int64) {
	h := SplitMix64(uint64(i))
	return int64(h % uint64(nkeys)), int64((h >> 40) % 1000)
}

// Range returns the half-open record range [lo, hi) that partition p of n
// covers when splitting total records.
func Range(total int64, p, n int) (lo, hi int64) {
	return total * int64(p) / int64(n), total * int64(p+1) / int64(n)
}

// KVChecksum is an order-independent digest of a reduce-by-key (sum) result.
// Feed every (key, sum) pair to Add.
type KVChecksum struct {
	Keys   int64
	Total  int64
	Digest uint64
}

func (c *KVChecksum) Add(key, sum int64) {
	c.Keys++
	c.Total += sum
	c.Digest += SplitMix64(uint64(key)*0x100000001b3 ^ uint64(sum))
}

func (c KVChecksum) String() string {
	return fmt.Sprintf("keys=%d total=%d digest=%016x", c.Keys, c.Total, c.Digest)
}

// ExpectedKV computes the expected reduce-by-key checksum serially.
func ExpectedKV(n, nkeys int64) KVChecksum {
	sums := make([]int64, nkeys)
	seen := make([]bool, nkeys)
	for i := int64(0); i < n; i++ {
		k, v := KV(i, nkeys)
		sums[k] += v
		seen[k] = true
	}
	var c KVChecksum
	for k := range sums {
		if seen[k] {
			c.Add(int64(k), sums[k])
		}
	}
	return c
}

// PiPartition counts how many of the samples drawn by partition p land
// inside the unit quarter circle. Partition p uses the SplitMix64 stream
// seeded by p, so the total count is identical for every engine.
func PiPartition(p int, samples int64) int64 {
	var in int64
	s := uint64(p+1) * 0x632be59bd9b4e019
	const inv = 1.0 / (1 << 53)
	for i := int64(0); i < samples; i++ {
		s += 0x9e3779b97f4a7c15
		x := float64(mix(s)>>11) * inv
		s += 0x9e3779b97f4a7c15
		y := float64(mix(s)>>11) * inv
		if x*x+y*y <= 1 {
			in++
		}
	}
	return in
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// PiEstimate turns a total inside-count into an estimate of Pi.
func PiEstimate(inside, samples int64) float64 { return 4 * float64(inside) / float64(samples) }

// SortRecord returns record i of the sort workload: a 64-bit pseudo-random
// key and the record index as payload.
func SortRecord(i int64) (key uint64, payload int64) {
	return SplitMix64(uint64(i) ^ 0x5eed), i
}

// SortChecksum checks a sorted stream: keys must be non-decreasing, and the
// digest (sum of mixed keys and payloads) must match the input's.
type SortChecksum struct {
	N      int64
	Digest uint64
	Sorted bool
	last   uint64
}

func NewSortChecksum() *SortChecksum { return &SortChecksum{Sorted: true} }

func (c *SortChecksum) Add(key uint64, payload int64) {
	if c.N > 0 && key < c.last {
		c.Sorted = false
	}
	c.last = key
	c.N++
	c.Digest += SplitMix64(key ^ uint64(payload))
}

func (c *SortChecksum) String() string {
	return fmt.Sprintf("n=%d sorted=%v digest=%016x", c.N, c.Sorted, c.Digest)
}

// ExpectedSortDigest is the digest of the unsorted input.
func ExpectedSortDigest(n int64) uint64 {
	var d uint64
	for i := int64(0); i < n; i++ {
		k, p := SortRecord(i)
		d += SplitMix64(k ^ uint64(p))
	}
	return d
}

// WordChecksum is an order-independent digest of a word count result.
type WordChecksum struct {
	Distinct int64
	Total    int64
	Digest   uint64
}

func (c *WordChecksum) Add(word string, count int64) {
	c.Distinct++
	c.Total += count
	c.Digest += SplitMix64(FNV64(word) ^ uint64(count))
}

func (c WordChecksum) String() string {
	return fmt.Sprintf("distinct=%d total=%d digest=%016x", c.Distinct, c.Total, c.Digest)
}

// FNV64 is FNV-1a over a string.
func FNV64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// TextFiles lists the generated word-count input files in dir.
func TextFiles(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "part-*.txt"))
	sort.Strings(m)
	return m
}

// EnvInt reads an integer knob from the environment.
func EnvInt(name string, def int64) int64 {
	if s := os.Getenv(name); s != "" {
		var v int64
		if _, err := fmt.Sscan(s, &v); err == nil {
			return v
		}
	}
	return def
}

// EnvStr reads a string knob from the environment.
func EnvStr(name, def string) string {
	if s := os.Getenv(name); s != "" {
		return s
	}
	return def
}

var _ = math.Pi
