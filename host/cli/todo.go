package cli

import (
	"context"
	"fmt"
)

func notYet(name string) func(ctx context.Context, e *env, args []string) int {
	return func(ctx context.Context, e *env, args []string) int {
		fmt.Fprintf(e.stderr, "authbridge: %s is not built yet\n", name)
		return ExitError
	}
}

var ()
