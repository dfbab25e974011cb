// Reconnect schedule for the native port: exponential backoff from 0.5 s,
// doubling, capped at 30 s. The bridge resets the attempt count after a
// successful hello.

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;

/**
 * backoffDelay returns how long to wait before reconnect attempt number
 * `attempt` (0 for the first retry). `random` (0..1) spreads reconnects by up
 * to ±10% so several profiles do not retry in lock step; pass () => 0.5 for a
 * fixed schedule.
 */
export function backoffDelay(attempt, { base = BACKOFF_BASE_MS, cap = BACKOFF_CAP_MS, random = Math.random } = {}) {
  const n = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt)) : 0;
  // 2**n overflows to Infinity for big n, which Math.min caps.
  const raw = Math.min(cap, base * 2 ** n);
  const jitter = 1 + (random() - 0.5) * 0.2;
  return Math.round(Math.min(cap, raw * jitter));
}
