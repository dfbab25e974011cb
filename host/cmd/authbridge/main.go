// Command authbridge is the authbridge host: the CLI, the per-user agent
// (`authbridge serve`), and the native-messaging relay Chrome starts.
package main

import (
	"os"

	"github.com/authbridge/authbridge/host/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
