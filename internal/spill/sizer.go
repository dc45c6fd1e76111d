package spill

import (
	"reflect"
	"unsafe"

	"github.com/gospark/gospark/internal/codec"
)

// Sizer estimates the memory a value holds.
type Sizer[T any] func(*T) int64

// SizerFor returns a size estimate for T: its fixed size for types without
// pointers, header plus contents for strings and byte slices, and otherwise
// the fixed size plus twice the encoded size (encoding is compact; the Go
// form carries headers and pointers). The returned function is not safe for
// concurrent use.
func SizerFor[T any](c codec.Codec[T]) Sizer[T] {
	t := reflect.TypeFor[T]()
	fixed := int64(t.Size())
	switch t.Kind() {
	case reflect.String:
		return func(v *T) int64 { return fixed + int64(len(*(*string)(unsafe.Pointer(v)))) }
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return func(v *T) int64 { return fixed + int64(cap(*(*[]byte)(unsafe.Pointer(v)))) }
		}
	}
	if !hasPointers(t) {
		return func(*T) int64 { return fixed }
	}
	var buf []byte
	return func(v *T) int64 {
		buf = c.Append(buf[:0], v)
		return fixed + 2*int64(len(buf))
	}
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}
