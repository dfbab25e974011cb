// Package metrics records dogfood events (the app's runs and the host's own
// verify, repair and clear actions) in their own database, events.db, and
// answers the five questions of ARCHITECTURE.md ("Dogfood metrics") per
// connector and overall.
//
// The package's files each do one job:
//
//   - event.go: the event and its validation;
//   - batch.go: reading a batch of events as it arrives (a batch with any
//     bad line is refused whole, with a bounded list of problems);
//   - store.go: the Recorder and the events database (one synced
//     transaction per batch; host actions queued for its own writer);
//   - report.go: the report, streamed per connector in key order;
//   - export.go: the export pages and JSON lines;
//   - render.go: the report as text, HTML and SVG;
//   - api.go: the local API routes and host actions as events.
//
// The event fields, the report's definitions and the export schema are
// specified in PROTOCOL.md ("Events").
package metrics
