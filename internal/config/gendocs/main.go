// Command gendocs prints the property reference, docs/configuration.md,
// generated from the registry in internal/config:
//
//	go run ./internal/config/gendocs > docs/configuration.md
package main

import (
	"fmt"
	"os"

	"github.com/gospark/gospark/internal/config"
)

func main() {
	if err := config.WriteMarkdown(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
