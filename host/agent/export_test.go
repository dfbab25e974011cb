package agent

import "github.com/authbridge/authbridge/host/store"

// Store exposes the state database to the tests.
func (a *Agent) Store() *store.Store { return a.store }

// StreamEvents is how many cookie events streams have started to write.
func (a *Agent) StreamEvents() int { return a.release.StreamEvents() }

// OpenStreams is the number of cookie streams open now.
func (a *Agent) OpenStreams() int { return a.release.OpenStreams() }
