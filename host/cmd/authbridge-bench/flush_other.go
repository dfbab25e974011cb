//go:build !unix

package main

// flushWrites is a no-op where there is no sync(2); the bench's browser
// sections run on Linux.
func flushWrites() {}
