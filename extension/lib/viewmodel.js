// The popup's view model: from the worker's state (connection and status
// rows) and the popup's own UI state (which action is running, which row is
// confirming a clear, which row waits for an interactive sign-in) to plain
// objects that popup.js renders. No DOM and no chrome.* here.
//
// The host owns the prompt copy (what failed, why, the next action); this
// module only chooses how to show it.

import { healthKey } from './status.js';
import { CODE } from './protocol.js';

export const ACTIONS = {
  verify: {
    label: 'Verify session', busy: 'Verifying…', endpoint: 'verify',
    hint: 'Check now that the site still lets the connector in.',
  },
  repair: {
    label: 'Use your Chrome sign-in', busy: 'Repairing…', endpoint: 'repair',
    hint: 'Give the connector the sign-in your browser has now. No window opens.',
  },
  interactive: {
    label: 'Sign in again', busy: 'Opening sign-in…', endpoint: 'interactive',
    hint: 'Open the site’s sign-in page in a tab; this row updates once you have signed in.',
  },
  clear: {
    label: 'Clear session', busy: 'Clearing…', endpoint: 'clear', confirm: 'Confirm clear',
    hint: 'Forgets the session authbridge keeps for this connector. Your browser stays signed in to the site.',
  },
  // session_not_transferable's one action: a window on the connector's own
  // profile (repair with in_connector_browser). The host waits for the
  // sign-in up to timeout_ms, which ends before the worker's API timeout.
  sign_in_connector: {
    label: 'Sign in inside the connector’s browser', busy: 'Waiting for your sign-in…', endpoint: 'repair',
    body: { in_connector_browser: true, timeout_ms: 110_000 },
    hint: 'Open a window on the connector’s own browser at the sign-in page.',
  },
  // Per-site grants: handled in the popup itself with chrome.permissions
  // (the browser's own prompt is the consent), never sent to the host.
  allow_access: { label: 'Allow access', busy: 'Waiting for your browser…', local: true },
  remove_access: {
    label: 'Remove access', busy: 'Removing…', local: true,
    hint: 'Take back the access you gave: the browser stops giving authbridge this connector’s cookies.',
  },
};
/** The actions of a row's "More actions" menu, in order; sign_in_connector only shows as the host's primary action. */
export const ACTION_ORDER = ['verify', 'repair', 'interactive', 'clear'];

/** The labels of a row's times, in plain words. */
export const TIME_LABELS = {
  headless: 'Last run without you',
  interactive: 'Last time you signed in',
  verified: 'Last checked',
  profile: 'Last copied to the connector’s browser',
};

export const HEALTH = {
  healthy: { label: 'Healthy', glyph: '✓', className: 'health-healthy' },
  needs_attention: { label: 'Needs Attention', glyph: '!', className: 'health-attention' },
  unknown: { label: 'Unknown', glyph: '?', className: 'health-unknown' },
};

/** Short labels for taxonomy codes, for "last failure" lines. */
export const REASON_LABELS = {
  SESSION_EXPIRED: 'Session expired',
  MFA_OR_CHALLENGE_REQUIRED: 'Second factor required',
  CHECKPOINT_OR_SUSPICIOUS_LOGIN: 'Sign-in flagged by the site',
  PROFILE_COOKIE_MISSING: 'Sign-in cookies missing',
  CONNECTOR_AUTH_SELECTOR_CHANGED: 'Site changed',
  NETWORK_OR_TIMEOUT: 'Site unreachable',
  UNKNOWN: 'Unknown failure',
};

/** Host action ids the popup understands, and other names they may come as. */
const ACTION_ALIASES = {
  verify: 'verify',
  verify_session: 'verify',
  retry: 'verify',
  repair: 'repair',
  repair_from_browser: 'repair',
  repair_from_chrome: 'repair',
  interactive: 'interactive',
  interactive_repair: 'interactive',
  open_interactive_repair: 'interactive',
  sign_in: 'interactive',
  login: 'interactive',
  clear: 'clear',
  clear_session: 'clear',
  sign_in_connector_browser: 'sign_in_connector',
  allow_access: 'allow_access',
};

/**
 * rowAccess is a row's access: the extension's own reading of the
 * browser's grants (the worker's `access` map) first, else the host's.
 */
export function rowAccess(row, ui) {
  return ui?.access?.[row?.id] ?? row?.access ?? '';
}

export function reasonLabel(code) {
  if (!code) return '';
  return REASON_LABELS[code] ?? String(code).toLowerCase().replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
}

/**
 * primaryAction picks a row's one main button from its state: Verify for a
 * Healthy row; otherwise the host's prompt action (the taxonomy's one action
 * for the reason), else one by reason. Every other action goes to the row's
 * "More actions" menu. New states (a repair running, access to allow) add a
 * case here.
 */
export function primaryAction(row) {
  const key = healthKey(row);
  if (key === 'healthy') return 'verify';
  const fromHost = ACTION_ALIASES[String(row?.prompt?.action?.id ?? '').toLowerCase()];
  if (fromHost) return fromHost;
  if (key === 'needs_attention') {
    const reason = row?.reason ?? row?.last_failure_reason;
    if (reason === 'MFA_OR_CHALLENGE_REQUIRED' || reason === 'CHECKPOINT_OR_SUSPICIOUS_LOGIN' || reason === 'SESSION_EXPIRED') return 'interactive';
    if (reason === 'NETWORK_OR_TIMEOUT' || reason === 'CONNECTOR_AUTH_SELECTOR_CHANGED') return 'verify';
    return 'repair';
  }
  return 'repair';
}

/** secondaryActions are the actions of a row's menu: every action but the primary one. */
export function secondaryActions(primary) {
  return ACTION_ORDER.filter((a) => a !== primary);
}

/** parseTime returns milliseconds since the epoch, or null for absent or invalid times. */
export function parseTime(iso) {
  if (typeof iso !== 'string' || iso === '' || iso.startsWith('0001-01-01')) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** relativeTime formats a time as "just now", "3 min ago", "2 hours ago", "yesterday", "in 5 min"... */
export function relativeTime(ms, nowMs) {
  if (ms === null || ms === undefined) return 'Never';
  const diff = nowMs - ms;
  const ahead = diff < 0;
  const s = Math.floor(Math.abs(diff) / 1000);
  if (s < 45) return 'just now';
  let text;
  const min = Math.max(1, Math.floor(s / 60));
  const h = Math.floor(s / 3600);
  const d = Math.floor(s / 86400);
  if (min < 60) text = `${min} min`;
  else if (h < 24) text = plural(h, 'hour');
  else if (d === 1) return ahead ? 'tomorrow' : 'yesterday';
  else if (d < 30) text = plural(d, 'day');
  else if (d < 365) text = plural(Math.floor(d / 30), 'month');
  else text = plural(Math.floor(d / 365), 'year');
  return ahead ? `in ${text}` : `${text} ago`;
}

/** exactTime formats a time for the hover title, in the given locale and zone. */
export function exactTime(ms, { locale, timeZone } = {}) {
  if (ms === null || ms === undefined) return '';
  const f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone });
  return f.format(new Date(ms));
}

/** timeField returns {text, title, datetime} for one timestamp of a row. */
export function timeField(iso, opts) {
  const ms = parseTime(iso);
  return {
    text: relativeTime(ms, opts.now),
    title: ms === null ? '' : exactTime(ms, opts),
    datetime: ms === null ? '' : new Date(ms).toISOString(),
  };
}

/** browserFlag names the browser for `authbridge install --browser`, from navigator.userAgentData.brands. */
export function browserFlag(brands, userAgent = '') {
  // Firefox has no userAgentData; its user agent names it (LibreWolf's too).
  if (/\bFirefox\//.test(userAgent) && !(brands ?? []).length) return 'firefox';
  const names = (brands ?? []).map((b) => b?.brand ?? '');
  if (names.includes('Google Chrome')) return 'chrome';
  if (names.includes('Microsoft Edge')) return 'edge';
  if (names.includes('Brave')) return 'brave';
  return 'chromium';
}

/** bundledIcon reports whether icon names a file packaged with the extension. */
export function bundledIcon(icon, self = globalThis.chrome?.runtime?.getURL?.('') ?? '') {
  if (self && icon.startsWith(self) && !icon.slice(self.length).includes('..')) return true;
  // A relative path inside the extension: no scheme, no host, no way up.
  return /^(?:\.\/)?[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_.-]+)*\.(?:png|svg|webp|gif|ico)$/.test(icon) && !icon.includes('..');
}

const AVATAR_COLORS = ['#4338CA', '#0F766E', '#9D174D', '#1D4ED8', '#7C2D12', '#4D7C0F', '#6D28D9', '#0E7490'];

/**
 * avatar returns an image for icons bundled with the extension (a relative
 * path such as "icons/x.png", or this extension's own chrome-extension:// URL)
 * and data:image icons, else a coloured letter. A remote http(s) icon is never
 * fetched: loading it would tell that host each time the popup opens.
 */
export function avatar(row) {
  const icon = typeof row?.icon === 'string' ? row.icon.trim() : '';
  const name = String(row?.name || row?.id || '?');
  const letter = (name.match(/[\p{L}\p{N}]/u)?.[0] ?? '?').toUpperCase();
  let hash = 0;
  for (const ch of String(row?.id ?? name)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  const fallback = { kind: 'letter', letter, color: AVATAR_COLORS[hash % AVATAR_COLORS.length] };
  if (bundledIcon(icon) || /^data:image\/(png|gif|jpeg|webp|x-icon|vnd\.microsoft\.icon);/i.test(icon)) {
    return { kind: 'image', url: icon, fallback };
  }
  return fallback;
}

/** isRepairing: the host runs a repair of the row, or the popup asked for one. */
function isRepairing(row, ui) {
  return !!row.repair_in_progress || ui.busy?.[row.id] === 'repair';
}

function button(row, action, ui, primary, opts = {}) {
  const spec = ACTIONS[action];
  const busyAction = ui.busy?.[row.id];
  const confirming = action === 'clear' && !!ui.confirming?.[row.id];
  let label = spec.label;
  if (primary && row.prompt?.action?.label && ACTION_ALIASES[String(row.prompt.action.id ?? '').toLowerCase()] === action) {
    label = row.prompt.action.label;
  }
  // The host's copy says "Chrome"; in Firefox the session comes from Firefox.
  if (action === 'repair' && opts.browser === 'firefox') label = label.replace(/\bChrome\b/, 'Firefox');
  if (confirming) label = spec.confirm;
  // A repair under way, whoever started it, is one state: the row's
  // "Repairing…" line, with every action of the row disabled.
  const repairing = isRepairing(row, ui);
  if (busyAction === action && !(repairing && action === 'repair')) label = spec.busy;
  return {
    action,
    label,
    hint: spec.hint ?? '',
    primary,
    busy: busyAction === action,
    disabled: !ui.connected || !!busyAction || repairing,
    confirming,
  };
}

/** rowView builds one connector row. */
export function rowView(row, ui, opts) {
  const access = rowAccess(row, ui);
  const awaitingAccess = access === 'not_granted';
  const key = awaitingAccess ? 'needs_attention' : healthKey(row);
  const health = { key, ...HEALTH[key] };
  if (!awaitingAccess && typeof row.health === 'string' && row.health.trim() !== '') health.label = row.health;
  const primary = awaitingAccess ? 'allow_access' : primaryAction(row);
  // A row awaiting access offers the one thing that helps: allowing it.
  const others = awaitingAccess ? [] : [...secondaryActions(primary), ...(access === 'granted' ? ['remove_access'] : [])];
  const buttons = [button(row, primary, ui, true, opts), ...others.map((a) => button(row, a, ui, false, opts))];
  const prompt =
    key !== 'healthy' && (row.prompt?.what || row.prompt?.why)
      ? { what: row.prompt.what ?? '', why: row.prompt.why ?? '', reason: row.reason ?? '', detail: row.detail ?? '' }
      : null;
  const failureCode = row.last_failure_reason || (key === 'needs_attention' ? row.reason : '');
  const lastFailure = failureCode
    ? { label: reasonLabel(failureCode), code: failureCode, ...timeField(row.last_failure_at, opts) }
    : null;
  const waiting = !!(ui.waiting?.[row.id] || row.awaiting_interactive);
  const repairing = isRepairing(row, ui);
  return {
    id: row.id,
    name: row.name || row.id,
    domains: Array.isArray(row.domains) ? row.domains.join(', ') : '',
    // The hosts outside its domains the connector may open to sign in.
    signIn: Array.isArray(row.sign_in_domains) && row.sign_in_domains.length > 0 ? `Signs in on ${row.sign_in_domains.join(', ')}` : '',
    avatar: avatar(row),
    health,
    prompt,
    times: [
      { key: 'headless', label: TIME_LABELS.headless, ...timeField(row.last_headless_success_at, opts) },
      { key: 'interactive', label: TIME_LABELS.interactive, ...timeField(row.last_interactive_login_at, opts) },
      { key: 'verified', label: TIME_LABELS.verified, ...timeField(row.last_verified_at, opts) },
      // A connector with its own browser profile: when a repair last wrote
      // the session into it (Healthy is reported before that write).
      ...(row.profile_dir ? [{ key: 'profile', label: TIME_LABELS.profile, ...(row.profile_writing ? { text: 'copying…' } : timeField(row.profile_written_at, opts)) }] : []),
    ],
    lastFailure,
    primary: buttons[0],
    secondary: buttons.slice(1),
    // The menu stays open while the person uses it (and while a clear in
    // it asks for confirmation or runs), across re-renders.
    menuOpen: !!(ui.menuOpen?.[row.id] || ui.confirming?.[row.id] || buttons.slice(1).some((b) => b.busy)),
    confirmingClear: !!ui.confirming?.[row.id],
    waiting,
    repairing,
    note: ui.notes?.[row.id] ?? null,
    // One sentence from the host while a repair waits for the app's
    // browser to free the connector's profile.
    profileWait: typeof row.profile_wait === 'string' ? row.profile_wait : '',
    busy: !!ui.busy?.[row.id],
    access,
    lastRelease: lastReleaseView(row.last_release, opts),
    // The sites the browser's prompt will grant, in words.
    grant: awaitingAccess && Array.isArray(row.domains) ? row.domains.map((d) => `${String(d).replace(/^\./, '')} and its subdomains`).join(', ') : '',
  };
}

/**
 * lastReleaseView says who last took the connector's cookies: the program
 * (its executable's name; the full path and command line in the title),
 * when, in which format. null when they never left the browser.
 */
export function lastReleaseView(r, opts) {
  if (!r || typeof r !== 'object' || !r.at) return null;
  const c = r.caller ?? {};
  const exe = typeof c.executable === 'string' ? c.executable : '';
  // A repair copies the cookies into the connector's own session.
  const byRepair = typeof c.via === 'string' && c.via.startsWith('repair:');
  const program = exe ? exe.split(/[\\/]/).pop() : byRepair ? 'a repair' : c.pid ? `process ${c.pid}` : String(c.via || 'authbridge');
  const detail = [exe, typeof c.cmdline === 'string' ? c.cmdline : ''].filter(Boolean).join('\n');
  return { program, detail, format: typeof r.format === 'string' ? r.format : '', ...timeField(r.at, opts) };
}

/** connectionView describes the header and, when not connected, the fix. */
export function connectionView(connection, opts) {
  const state = connection?.state ?? 'connecting';
  const browser = opts.browser ?? 'chromium';
  if (state === 'connected') {
    const parts = [];
    if (connection.agent_version) parts.push(`agent ${connection.agent_version}`);
    if (connection.bridge_id) parts.push(`bridge ${connection.bridge_id}`);
    return { state, tone: 'ok', label: 'Connected', title: parts.join(', '), problem: null };
  }
  if (state === 'connecting') return { state, tone: 'pending', label: 'Connecting…', title: '', problem: null };
  const problem = {
    title: 'authbridge is not connected',
    message: '',
    command: `authbridge install --browser ${browser}`,
    error: connection?.message ?? '',
  };
  if (state === 'not_installed') {
    problem.message = 'The authbridge host is not installed for this browser. Install it, then retry:';
  } else if (state === 'forbidden') {
    problem.message = 'The authbridge host is installed but does not allow this extension. Install it again for this extension, then retry:';
    if (opts.extensionId) problem.command += ` --extension-id ${opts.extensionId}`;
  } else {
    problem.message = 'The authbridge host stopped or could not start. Check it, then retry:';
    problem.command = 'authbridge doctor';
    problem.secondaryCommand = `authbridge install --browser ${browser}`;
  }
  return { state, tone: 'error', label: 'Not connected', title: connection?.message ?? '', problem };
}

/**
 * buildView is the whole popup: header, the not-connected fix, the empty
 * state, and the rows.
 *
 * ui: {connection, rows, rowsComplete, busy: {id: action}, confirming: {id: true},
 *      waiting: {id: true}, notes: {id: {kind, text}}, menuOpen: {id: true}}
 * opts: {now, browser, extensionId, locale, timeZone}
 */
export function buildView(ui, opts) {
  const connection = connectionView(ui.connection, opts);
  const connected = connection.state === 'connected';
  const state = { ...ui, connected };
  const all = (ui.rows ?? []).filter((r) => r && typeof r.id === 'string').map((r) => rowView(r, state, opts));
  // Rows awaiting access first (the order among each group kept).
  const rows = [...all.filter((r) => r.access === 'not_granted'), ...all.filter((r) => r.access !== 'not_granted')];
  return {
    connection,
    rows,
    summary: summaryText(rows),
    loading: connection.state === 'connecting' && rows.length === 0,
    empty: connected && ui.rowsComplete && rows.length === 0,
  };
}

/**
 * summaryText sums the rows up in one line. Only Healthy rows count as
 * fine: an Unknown row has not been checked yet, and says so.
 */
export function summaryText(rows) {
  const n = rows.length;
  if (n === 0) return '';
  const count = (key) => rows.filter((r) => r.health.key === key).length;
  const attention = count('needs_attention');
  const unknown = count('unknown');
  if (attention > 0) return `${attention} of ${plural(n, 'connector')} need${attention === 1 ? 's' : ''} attention`;
  if (unknown === 0) return `${plural(n, 'connector')}, all fine`;
  if (unknown === n) return `${plural(n, 'connector')}, not checked yet`;
  return `${plural(n, 'connector')}: ${n - unknown} fine, ${unknown} not checked yet`;
}

/**
 * applyPush folds a worker `state` message into the popup's UI state. A row
 * waiting for an interactive sign-in stops waiting when the host pushes a
 * status.changed for it that is no longer awaiting.
 */
export function applyPush(ui, msg) {
  const next = { ...ui, connection: msg.connection ?? ui.connection, rows: msg.rows ?? ui.rows, rowsComplete: msg.rows_complete ?? ui.rowsComplete, access: msg.access ?? ui.access };
  if (msg.source === 'status.changed' && Array.isArray(msg.ids)) {
    const waiting = { ...ui.waiting };
    for (const id of msg.ids) {
      const row = (msg.rows ?? []).find((r) => r.id === id);
      if (!row?.awaiting_interactive) delete waiting[id];
    }
    next.waiting = waiting;
  }
  return next;
}

/** actionPath is the local API path of a row action. */
export function actionPath(id, action) {
  return `/v1/connectors/${encodeURIComponent(id)}/${ACTIONS[action].endpoint}`;
}

/** actionBody is the JSON body a row action posts (null for clear). */
export function actionBody(action) {
  if (action === 'clear') return null;
  return { ...(ACTIONS[action]?.body ?? {}) };
}

/** noteFor turns an action's answer into the row's message (or null when the new row says it all). */
export function noteFor(action, answer) {
  if (answer.error) {
    const e = answer.error;
    if (e.code === CODE.host_unreachable) return { kind: 'error', text: 'authbridge is not connected.' };
    return { kind: 'error', text: e.message || `Failed (${e.code}).` };
  }
  const { status, body } = answer.result ?? {};
  if (status >= 400) {
    const e = body?.error ?? {};
    return { kind: 'error', text: e.message || `Failed with HTTP ${status}.` };
  }
  if (action === 'clear') return { kind: 'ok', text: 'Stored session cleared. Your browser’s own cookies are untouched.' };
  if (action === 'interactive' && body?.opened === false) return { kind: 'ok', text: 'Your browser’s session already works: repaired without opening a sign-in tab.' };
  if (action === 'interactive') return null;
  if (action === 'sign_in_connector' && body?.result?.code === 'OK') {
    return { kind: 'ok', text: 'Signed in inside the connector’s browser: its own session works now.' };
  }
  return null;
}
