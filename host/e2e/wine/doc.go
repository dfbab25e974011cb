// Package wine holds the end-to-end test of the Windows binary: built for
// windows/amd64 and run under Wine by make test-windows (build/wine), it
// drives authbridge.exe through install, doctor, serve on the named pipe,
// status, the native-messaging relay with a fake extension, and the Go
// client. No browser is involved.
package wine
