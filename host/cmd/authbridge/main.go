// Command authbridge is the authbridge host: the CLI, the per-user agent
// (`authbridge serve`), and the native-messaging relay Chrome starts.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/authbridge/authbridge/host/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
