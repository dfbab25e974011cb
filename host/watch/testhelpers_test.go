package watch

import "slices"

// Helpers that only the tests use.

// SetConnectors replaces the watched connectors, and reads the store at
// once. A connector new to the watcher gets its baseline from that read,
// without an event.
func (w *Watcher) SetConnectors(cs []Watched) {
	w.mu.Lock()
	w.connectors = slices.Clone(cs)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}
