package ui

import (
	"bytes"
	"encoding/json"
)

// marshalSpark encodes v as Spark's REST API writes JSON: Jackson's default
// pretty printer, objects one field a line indented by two spaces per open
// object, "name" : value, arrays on one line ([ 1, 2 ], [ {...}, {...} ]),
// empty ones as { } and [ ]. HTML characters are not escaped (the answer is
// application/json, served with nosniff).
func marshalSpark(v any) ([]byte, error) {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimRight(compact.Bytes(), "\n")
	out := make([]byte, 0, len(b)*2)
	var stack []byte // '{' or '['
	objects := 0     // open objects: the indentation level
	newline := func() {
		out = append(out, '\n')
		for range objects {
			out = append(out, ' ', ' ')
		}
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			j := i + 1
			for ; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			out = append(out, b[i:j+1]...)
			i = j
		case '{', '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if i+1 < len(b) && b[i+1] == closer {
				out = append(out, c, ' ', closer)
				i++
				continue
			}
			stack = append(stack, c)
			out = append(out, c)
			if c == '{' {
				objects++
				newline()
			} else {
				out = append(out, ' ')
			}
		case '}':
			stack = stack[:len(stack)-1]
			objects--
			newline()
			out = append(out, '}')
		case ']':
			stack = stack[:len(stack)-1]
			out = append(out, ' ', ']')
		case ',':
			out = append(out, ',')
			if len(stack) > 0 && stack[len(stack)-1] == '{' {
				newline()
			} else {
				out = append(out, ' ')
			}
		case ':':
			out = append(out, ' ', ':', ' ')
		default:
			out = append(out, c)
		}
	}
	return append(out, '\n'), nil
}
