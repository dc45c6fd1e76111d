// Package codec turns records into compact bytes and back, for shuffle
// files, spill runs and cached blocks. Call For[T] (or MustFor) once per
// type and keep the Codec: it is built on first use and cached, safe for
// concurrent use, and Append/Decode on it do no reflection for the basic
// kinds (bool, integers as zig-zag or plain varints with int8/uint8 as one
// byte and uint64 as 8 fixed bytes, floats as fixed little-endian bits,
// length-prefixed strings and byte slices, struct{} as nothing). Other types
// get a codec assembled once by reflection: struct fields in order (all must
// be exported), arrays, slices and maps with a length (maps sorted by
// encoded key, so equal maps encode identically), pointers with a nil flag;
// a type can instead supply its own codec through Provider (spark.KV does)
// or encoding.BinaryMarshaler. Decode never trusts its input: lengths are
// checked against the bytes left, and errors wrap ErrShort or ErrCorrupt.
// HasherFor gives the partitioning hash of a key type, identical in every
// process and run.
package codec
