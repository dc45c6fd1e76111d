// Package compress compresses shuffle and spill data in blocks, as Spark's
// spark.io.compression.codec does. Lookup("lz4"|"zstd"|"snappy"|"none", or
// Spark's codec class names) returns a Codec, safe for concurrent use. A
// BlockWriter turns each raw block (typically 64 KiB of encoded records)
// into one self-describing frame — uvarint raw length, uvarint stored
// length, a flag byte (0 raw, 1 compressed), the stored bytes — keeping the
// raw bytes when compression would not shrink them; a BlockReader reads the
// frames back one block at a time. Frames are read as untrusted input:
// truncated or inconsistent frames, and blocks over MaxBlockSize, fail with
// an error wrapping ErrCorrupt before any large allocation.
package compress
