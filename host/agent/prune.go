package agent

import (
	"context"
	"time"
)

// DefaultAuditRetention is how long cookie release audit rows are kept when
// Config.AuditRetention is 0.
const DefaultAuditRetention = 90 * 24 * time.Hour

// auditPruneEvery is how often the running agent prunes old audit rows.
const auditPruneEvery = 6 * time.Hour

// pruneAudit deletes the audit rows older than the retention now and every
// auditPruneEvery until ctx ends.
func (a *Agent) pruneAudit(ctx context.Context) {
	keep := a.cfg.AuditRetention
	if keep <= 0 {
		keep = DefaultAuditRetention
	}
	t := time.NewTicker(auditPruneEvery)
	defer t.Stop()
	for {
		n, err := a.store.PruneReleases(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("old audit rows not pruned", "err", err)
		case n > 0:
			a.log.Info("pruned old audit rows", "rows", n, "retention", keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
