// Command gospark-py is the application binary of every Python
// application: `gospark-py <app.py> [args...]` runs the Python driver
// program against gospark's engine, and the same binary is the
// application's executors, which run Python stages in worker processes.
// gospark submit runs it for a .py primary resource.
package main

import (
	"context"
	"os"

	"github.com/gospark/gospark/internal/pyrun"
)

func main() {
	os.Exit(pyrun.Main(context.Background(), os.Args[1:], os.Stderr))
}
