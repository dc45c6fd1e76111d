// Command echoapp is the application of gospark submit's tests. It prints
// its role, its arguments and the configuration it received, then exits
// with $ECHOAPP_EXIT (default 0). With ECHOAPP_WAIT=1 it prints "ready" and
// waits for SIGINT or SIGTERM, reports it and exits with 42.
package main

import (
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"

	"github.com/gospark/gospark/internal/config"
)

func main() {
	fmt.Printf("role=%s\n", os.Getenv("GOSPARK_ROLE"))
	for i, a := range os.Args[1:] {
		fmt.Printf("arg[%d]=%s\n", i, a)
	}
	fmt.Printf("GOSPARK_CONF=%s\n", os.Getenv(config.EnvConf))
	conf, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoapp:", err)
		os.Exit(3)
	}
	all := conf.All()
	for _, k := range slices.Sorted(maps.Keys(all)) {
		fmt.Printf("conf %s=%s\n", k, all[k])
	}
	fmt.Fprintln(os.Stderr, "echoapp: stderr works")
	if os.Getenv("ECHOAPP_WAIT") == "1" {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		fmt.Println("ready")
		sig := <-sigs
		fmt.Printf("got signal %v\n", sig)
		os.Exit(42)
	}
	code, _ := strconv.Atoi(os.Getenv("ECHOAPP_EXIT"))
	os.Exit(code)
}
