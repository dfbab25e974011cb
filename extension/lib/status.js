// The latest connector status rows the host pushed (status.changed) or
// answered (GET /v1/status, and the `row` of an action's answer), and what
// the toolbar badge shows for them.

export const BADGE_COLOR = '#B45309'; // amber 700: white text on it passes WCAG AA
export const BADGE_TEXT_COLOR = '#FFFFFF';

/** needsAttentionCount counts the rows whose health_key is needs_attention. */
export function needsAttentionCount(rows) {
  return rows.filter((r) => healthKey(r) === 'needs_attention').length;
}

/** healthKey returns a row's health_key, derived from `health` when absent. */
export function healthKey(row) {
  const k = row?.health_key;
  if (k === 'healthy' || k === 'needs_attention' || k === 'unknown') return k;
  const h = String(row?.health ?? '').toLowerCase();
  if (h === 'healthy') return 'healthy';
  if (h === 'needs attention' || h === 'needs_attention') return 'needs_attention';
  return 'unknown';
}

/**
 * badgeFor returns the toolbar badge text and tooltip for the rows and the
 * connection state: the count of connectors needing attention or awaiting
 * access (`access`: row id to granted / not_granted), empty at 0.
 */
export function badgeFor(rows, connection, access = {}) {
  const awaiting = rows.filter((r) => access[r?.id] === 'not_granted');
  const n = rows.filter((r) => access[r?.id] === 'not_granted' || healthKey(r) === 'needs_attention').length;
  const text = n > 0 ? String(n) : '';
  let title = 'authbridge';
  if (connection?.state !== 'connected') title += ' is not connected';
  else if (awaiting.length === 1) title += ': 1 connector awaits access';
  else if (awaiting.length > 1) title += `: ${awaiting.length} connectors await access`;
  else if (n === 1) title += ': 1 connector needs attention';
  else if (n > 1) title += `: ${n} connectors need attention`;
  else if (rows.length > 0) title += ': all sessions fine';
  return { text, title, color: BADGE_COLOR, textColor: BADGE_TEXT_COLOR };
}

/** StatusStore keeps rows by connector id, in the order the host sent them. */
export class StatusStore {
  constructor() {
    this.rows = new Map();
    this.complete = false; // true once a full list (GET /v1/status) arrived
  }

  /** replace sets the full list of rows (GET /v1/status, or status.changed with complete). */
  replace(rows) {
    this.rows = new Map();
    for (const r of rows) if (r && typeof r.id === 'string') this.rows.set(r.id, r);
    this.complete = true;
  }

  /** upsert updates or adds rows by id; returns the ids it touched. */
  upsert(rows) {
    const ids = [];
    for (const r of rows) {
      if (!r || typeof r.id !== 'string') continue;
      this.rows.set(r.id, r);
      ids.push(r.id);
    }
    return ids;
  }

  list() {
    return [...this.rows.values()];
  }
}
