package cli

import "context"

// cmdEvent and cmdReport are placeholders until the metrics package lands.
func cmdEvent(ctx context.Context, e *env, args []string) int  { return notYet("event")(ctx, e, args) }
func cmdReport(ctx context.Context, e *env, args []string) int { return notYet("report")(ctx, e, args) }
