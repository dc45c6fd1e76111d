// Command hello is the Go package deps' tests build as a primary resource.
package main

func main() { println("hello") }
