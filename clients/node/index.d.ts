// Type declarations of authbridge-client (the CommonJS entry point; the ES
// module entry point re-exports the same names).

/** What to do next, as the popup, the CLI and the API word it. */
export interface Prompt {
  what: string;
  why: string;
  action: { id: string; label: string };
}

/** One connector's health line (PROTOCOL.md, StatusRow). */
export interface StatusRow {
  id: string;
  name: string;
  icon?: string;
  domains: string[];
  health: 'Healthy' | 'Needs Attention' | 'Unknown';
  health_key: 'healthy' | 'needs_attention' | 'unknown';
  reason: string;
  detail: string;
  prompt: Prompt;
  login_url?: string;
  last_verified_at?: string;
  last_headless_success_at?: string;
  last_interactive_login_at?: string;
  last_failure_at?: string;
  last_failure_reason?: string;
  repair_in_progress: boolean;
  awaiting_interactive: boolean;
  source: string;
  [field: string]: unknown;
}

export interface Status {
  agent: { pid: number; version: string; socket: string; home: string; started_at: string };
  bridges: Array<Record<string, unknown>>;
  connectors: StatusRow[];
}

export interface ConnectorInfo {
  id: string;
  name: string;
  domains: string[];
  auth_cookies?: string[];
  source: string;
  kind: string;
  [field: string]: unknown;
}

export interface Connectors {
  connectors: ConnectorInfo[];
  problems: Array<{ file?: string; message: string }>;
}

/** A taxonomy result: how the last check went. */
export interface VerifyResult {
  code: string;
  detail?: string;
  health: 'healthy' | 'needs_attention' | 'unknown';
  exit_status: number;
  prompt: Prompt;
  [field: string]: unknown;
}

export interface ActionAnswer {
  result: VerifyResult;
  probe?: string;
  row: StatusRow;
  written?: string[];
}

export interface InteractiveAnswer {
  tab_id: number;
  login_url: string;
  row: StatusRow;
}

/** A Playwright cookie (storage state entry). */
export interface PlaywrightCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  expires: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict' | 'Lax' | 'None';
  partitionKey?: string;
}

/** What browser.newContext({storageState}) takes. */
/** Why a correct answer is probably not what was hoped for. */
export interface Notice {
  /** 'no_auth_cookie': the browser holds none of the connector's auth cookies (signed out of the site). */
  code: string;
  /** One sentence for a person. */
  message: string;
}

export interface StorageState {
  cookies: PlaywrightCookie[];
  origins: Array<{ origin: string; localStorage: Array<{ name: string; value: string }> }>;
}

/** A DevTools Protocol Network.CookieParam. */
export interface CdpCookie {
  name: string;
  value: string;
  url?: string;
  domain?: string;
  path?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: string;
  expires?: number;
  [field: string]: unknown;
}

/** A dogfood event (README, "Dogfood metrics"). */
export interface AppEvent {
  event_id?: string;
  type: 'run_started' | 'auth_checked' | 'recovery_attempted' | 'run_succeeded' | 'run_failed' | 'session_cleared';
  at?: string;
  connector_id: string;
  run_id: string;
  auth_mode_used?: 'headless_only' | 'interactive_required';
  auth_failure_reason?: string;
  recovery_action?: 'none' | 'auto_repair' | 'repair_from_chrome' | 'interactive_repair' | 'clear_session' | 'retry';
  recovery_success?: boolean;
  time_to_success_ms?: number;
  source?: 'app' | 'host';
}

/** Every call takes these. */
export interface CallOptions {
  /** Abort the call: it rejects with code "aborted". */
  signal?: AbortSignal;
  /** Bound of the call; it then rejects with code "timeout". */
  timeoutMs?: number;
}

export interface ClientOptions {
  /** The API socket. Default: AUTHBRIDGE_SOCKET, else the one of the home. */
  socket?: string;
  /** AUTHBRIDGE_HOME. Default: the environment's, else the OS default. */
  home?: string;
  /** The authbridge executable that starts the agent. Default: AUTHBRIDGE_BIN, else `authbridge` on PATH. */
  bin?: string;
  /** Start the agent when nothing answers (default true). */
  autoStart?: boolean;
  /** The environment to read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Default bound of the quick calls (default 30000). */
  timeoutMs?: number;
  /** Bound of starting the agent (default 15000). */
  startTimeoutMs?: number;
}

export type ErrorCode =
  | 'bad_request' | 'unknown_type' | 'not_found' | 'internal' | 'timeout' | 'frame_too_large'
  | 'origin_not_allowed' | 'browser_not_connected' | 'busy' | 'forbidden' | 'access_not_granted'
  | 'agent_unreachable' | 'connection_lost' | 'aborted' | 'bad_answer' | 'interactive_cancelled';

/** How every failed call rejects. */
export declare class AuthbridgeError extends Error {
  constructor(message: string, fields?: { code?: string; detail?: string; status?: number; reason?: string; prompt?: Prompt; cause?: unknown });
  name: 'AuthbridgeError';
  /** A PROTOCOL.md error code, or one of the client's own (ClientCodes). */
  code: ErrorCode | (string & {});
  /** A machine-readable refinement of code, when there is one. */
  detail?: string;
  /** The HTTP status of the agent's answer, when it answered. */
  status?: number;
  /** The taxonomy reason (SESSION_EXPIRED, ...), when one applies. */
  reason?: string;
  /** What to do next, when there is a prompt. */
  prompt?: Prompt;
}

export declare const ClientCodes: Readonly<{
  AGENT_UNREACHABLE: 'agent_unreachable';
  CONNECTION_LOST: 'connection_lost';
  TIMEOUT: 'timeout';
  ABORTED: 'aborted';
  BAD_ANSWER: 'bad_answer';
  INTERACTIVE_CANCELLED: 'interactive_cancelled';
}>;

export declare const DEFAULTS: Readonly<{
  timeoutMs: number;
  actionTimeoutMs: number;
  eventsTimeoutMs: number;
  interactiveWaitMs: number;
  startTimeoutMs: number;
  pollMs: number;
}>;

/** The home and API socket an authbridge command would use. */
export declare function resolvePaths(opts?: {
  env?: Record<string, string | undefined>;
  home?: string;
  socket?: string;
  platform?: string;
  uid?: number;
}): { home: string; explicitHome: boolean; socket: string; explicitSocket: boolean };

export declare class Client {
  constructor(opts?: ClientOptions);
  /** The API socket this client calls. */
  readonly socket: string;
  /** The authbridge home it belongs to. */
  readonly home: string;
  /** Drop kept-alive connections (the client stays usable). */
  close(): void;
  ping(opts?: CallOptions): Promise<{ pid: number; version: string }>;
  status(opts?: CallOptions & { all?: boolean }): Promise<Status>;
  connectors(opts?: CallOptions): Promise<Connectors>;
  /** The answer's `notice` (not enumerable) says why a set is empty: the browser holds no auth cookie of the connector. */
  cookies(id: string, opts?: CallOptions & { format?: 'playwright'; url?: string }): Promise<StorageState & { readonly notice?: Notice }>;
  cookies(id: string, opts: CallOptions & { format: 'cdp'; url?: string }): Promise<CdpCookie[] & { readonly notice?: Notice }>;
  cookies(id: string, opts: CallOptions & { format: 'netscape' | 'netscape-compat' | 'header'; url?: string; onNotice?: (n: Notice) => void }): Promise<string>;
  /** Follows the connector's cookies: the whole set at once, then again on every change in the user's browser; ends quietly when signal aborts. */
  cookieStream(id: string, opts?: { signal?: AbortSignal; onError?: (err: AuthbridgeError) => void }): AsyncIterable<StorageState>;
  /** Has the user's browser send one credentialed request to the verify URL (no tab), then answers the fresh cookies. */
  refresh(id: string, opts?: CallOptions): Promise<StorageState & { http_status: number; fetch_error?: string; url: string }>;
  verify(id: string, opts?: CallOptions & { runId?: string }): Promise<ActionAnswer>;
  repair(id: string, opts?: CallOptions & { runId?: string; inConnectorBrowser?: boolean; signInTimeoutMs?: number }): Promise<ActionAnswer>;
  /** Why a run's site signed it out, classified by the agent from the cookies its page was sent (their values never leave). */
  signedOut(id: string, opts?: CallOptions & { runId?: string; cookies?: PlaywrightCookie[] }): Promise<{ result: VerifyResult }>;
  clear(id: string, opts?: CallOptions): Promise<{ row: StatusRow; cleared?: unknown }>;
  interactive(id: string, opts?: CallOptions & { runId?: string; wait?: boolean; pollMs?: number }): Promise<InteractiveAnswer>;
  events(list: AppEvent | AppEvent[] | string, opts?: CallOptions): Promise<{ accepted: number; duplicates: number }>;
  report(opts?: CallOptions & { since?: string }): Promise<Record<string, unknown>>;
}
