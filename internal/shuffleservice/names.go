package shuffleservice

import (
	"path/filepath"

	"github.com/gospark/gospark/internal/shuffle"
)

// maxNameLen is the longest application id, executor id or file base.
const maxNameLen = 128

// ExecutorDir is where executor execID of appID keeps its local directory
// under root: its shuffle files are in shuffle.Dir(ExecutorDir(...)).
func ExecutorDir(root, appID, execID string) string {
	return filepath.Join(root, appID, execID)
}

// ValidName reports whether s is allowed as an application or executor id:
// 1 to 128 characters of [A-Za-z0-9._-], and not "." or "..". Such a name
// is one path element that stays where it is put.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// validFileBase reports whether s names a map output as shuffle.Writer
// does: shuffle_<shuffle id>_<map index>_<task attempt id>, each a decimal
// number of at most 20 digits.
func validFileBase(s string) bool {
	const prefix = "shuffle_"
	if len(s) > maxNameLen || len(s) <= len(prefix) || s[:len(prefix)] != prefix {
		return false
	}
	groups, digits := 1, 0
	for i := len(prefix); i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits++
			if digits > 20 {
				return false
			}
		case c == '_' && digits > 0:
			groups++
			digits = 0
		default:
			return false
		}
	}
	return groups == 3 && digits > 0
}

// shuffleFile is the path of a map output file inside the application's
// directory.
func shuffleFile(execID, fileBase, ext string) string {
	return filepath.Join(shuffle.Dir(execID), fileBase+ext)
}
