// Package python embeds the pyspark package (python/pyspark) so that the
// application binary of Python applications, gospark-py, carries it and
// can put it on its Python processes' path anywhere.
package python

import "embed"

// Files holds pyspark/ and everything under it.
//
//go:embed all:pyspark
var Files embed.FS
