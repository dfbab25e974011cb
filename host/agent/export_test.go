package agent

import "github.com/authbridge/authbridge/host/store"

// Store exposes the state database to the tests.
func (a *Agent) Store() *store.Store { return a.store }
