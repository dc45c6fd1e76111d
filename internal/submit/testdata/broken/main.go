// Command broken does not compile; gospark submit's tests check that the
// build failure is reported.
package main

func main() {
	var n int = "not a number"
	_ = n
}
