// Package metrics records dogfood events (the app's runs and the host's own
// verify, repair and clear actions) in the agent's state database and
// answers, per connector and overall, the five questions of ARCHITECTURE.md
// ("Dogfood metrics").
//
// # Events
//
// An event is one JSON object with exactly these fields (any other field is
// refused):
//
//	event_id             UUID; generated (version 7) when absent. A repeated
//	                     event_id is stored once.
//	type                 run_started | auth_checked | recovery_attempted |
//	                     run_succeeded | run_failed | session_cleared
//	at                   RFC 3339 time; the agent's clock when absent. Kept to
//	                     the microsecond, in UTC.
//	connector_id         required; a connector id ([a-z0-9][a-z0-9._-]{0,63})
//	run_id               required: the app's id of one run, kept verbatim;
//	                     1 to 200 printable characters (a UUID, or the
//	                     app's "<platform id>-<epoch ms>")
//	auth_mode_used       headless_only | interactive_required | "" (not stated)
//	auth_failure_reason  a taxonomy code (taxonomy.Reasons) or ""
//	recovery_action      none | auto_repair | repair_from_chrome |
//	                     interactive_repair | clear_session | retry | ""
//	recovery_success     true | false; only on recovery_attempted
//	time_to_success_ms   whole number >= 0; only on run_succeeded
//	source               app (default) | host
//
// A recovery_attempted event must name its action (not none); a
// session_cleared event's action is clear_session (filled in when absent).
// There is no free-text field, so no cookie value, URL or page content can
// enter an event.
//
// A batch (POST /v1/events: one object, or JSON lines) is validated whole.
// If any line is invalid the whole batch is refused and nothing is stored;
// the answer lists the first MaxListed problems with their line numbers and
// fields and counts the rest, so its size does not grow with the input. The
// body is parsed as it arrives and only valid events are kept. Otherwise
// the batch is stored in one transaction, synced to disk (synchronous=FULL)
// before the answer: a 2xx means every event of the batch is durable.
//
// # Definitions
//
// The report reads the events of a window (at >= since, or all of them),
// per connector, in (at, event_id) order, whatever order they arrived in.
// The window cuts events, not runs: a run or chain that began before the
// window is seen from its first event inside it.
//
//   - A run is one run_id of one connector that has at least one run_started,
//     run_succeeded or run_failed event. All events with that run_id (the
//     app's and the host's) belong to it. Host actions not tied to an app's
//     run get a run_id of their own; those are not runs, but they do count
//     in recovery chains (below).
//   - A run succeeded when it has a run_succeeded event; only its first one
//     counts.
//   - A run is interactive when any of its events says auth_mode_used
//     interactive_required; otherwise it is headless (no person was needed).
//     The host says interactive_required for repair_from_chrome and
//     interactive_repair (a person acted) and headless_only for auto_repair.
//   - An interactive run's reason is the first non-empty auth_failure_reason
//     other than OK among its events; UNKNOWN when it has none.
//   - A run's first recovery attempt is its first recovery_attempted event,
//     whatever the action; it succeeded when recovery_success is true.
//   - A recovery chain opens at a failure (an event with a failure reason, a
//     run_failed) or a session_cleared, when no chain is open, and closes at
//     the connector's next successful run. It may span several runs and
//     host actions outside any run. Its first recovery action is the action
//     of its first recovery_attempted or session_cleared event.
//
// The answers:
//
//  1. headless_only_pct: headless runs / runs.
//  2. interactive_required_pct: interactive runs / runs;
//     interactive_by_reason: interactive runs counted by reason.
//  3. recovered_in_one_attempt_pct: interactive runs whose first recovery
//     attempt succeeded / interactive runs (one without any attempt counts
//     as not recovered in one).
//  4. time_to_success_ms p50 and p90: nearest-rank percentiles (the value at
//     rank ceil(p/100 * n) of the sorted values) over successful runs. A
//     run's value is its run_succeeded event's time_to_success_ms when the
//     app sent one; else the time from the connector's first run_started
//     after its previous successful run (or, if there is none, the run's own
//     first event) to this run_succeeded, in whole milliseconds.
//  5. first_recovery_action: chains counted by first action: clear_session,
//     guided_repair (repair_from_chrome or interactive_repair), other
//     (auto_repair or retry), none (the chain reached its success with no
//     action). chains counts every chain opened in the window; one still
//     open with no action yet is in chains only.
//
// Percentages are 0 to 100, rounded to one decimal (half away from zero),
// and null when their denominator is 0; headless and interactive may then
// add up to 99.9 or 100.1. Percentiles are null when there is no successful
// run. "overall" pools every connector's runs, chains and times (it is not
// an average of the connectors' percentages).
//
// # Storage
//
// Events live in their own database, events.db (OpenRecorder), not in the
// agent's state.db: a batch holds only this file's write lock, so cookie
// releases, whose audit rows go to state.db, never wait on it. The
// metric_events table is keyed by (connector_id, at_us, event_id) WITHOUT
// ROWID, so the report streams each connector in key order without
// sorting, and a unique index on event_id keeps repeated events out.
// Enumerations are stored as small integer codes, run ids as text. Events
// an earlier version kept in state.db are moved over by ImportLegacy.
//
// # Export
//
// WriteNDJSON and `authbridge report --export ndjson` write one event per
// line with every field present, in the order of the table above: strings
// are "" when not stated, recovery_success and time_to_success_ms are null
// when absent, at is "2006-01-02T15:04:05.000000Z" (ExportTimeFormat).
// The README's export section gives the column types and how to load the
// file into DuckDB, BigQuery and ClickHouse.
package metrics
