package agent

import (
	"context"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

// Profiles binds bridges to profiles and watches the bound profiles' cookie
// stores. The agent defines it; the CLI wires the real implementation
// (chromeprofile and watch packages), tests may use a fake.
type Profiles interface {
	// Bind finds the profile whose cookie store holds the live cookies.
	// hint is the user-data-dir the browser was started with, when known.
	Bind(ctx context.Context, hint string, live []apitype.CookieMeta) (apitype.Binding, error)
	// Watch watches a bound profile until ctx ends, calling changed with a
	// connector id when its auth cookies appear or change on disk, and
	// profilesChanged when Local State's profiles change.
	Watch(ctx context.Context, b apitype.Binding, conns []apitype.WatchedConnector, changed func(connectorID string), profilesChanged func()) error
}

// BrowserBinder is a Profiles that binds by browser family: a Firefox
// bridge is bound among Firefox profiles only, a Chromium one among
// Chromium profiles. The agent uses it when Profiles implements it.
type BrowserBinder interface {
	BindBrowser(ctx context.Context, browser, hint string, live []apitype.CookieMeta) (apitype.Binding, error)
}

// profileWatches runs one watcher per bound cookie store, shared by the
// bridges bound to it.
type profileWatches struct {
	mu    sync.Mutex
	byDir map[string]*profileWatch
}

type profileWatch struct {
	cancel  context.CancelFunc
	bridges map[string]bool
}

// bindBridge binds a bridge to its profile from evidence (the extension's
// live persistent cookies against each candidate store), then watches it.
func (a *Agent) bindBridge(b *peer) {
	if a.cfg.Profiles == nil {
		return
	}
	ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
	defer cancel()
	var res apitype.CookiesMetaResult
	if err := b.conn.Call(ctx, apitype.CookiesMetaRequest{Limit: 1000}, &res); err != nil {
		b.log.Warn("cookies.meta failed; binding without cookie evidence", "err", err)
	}
	var bind apitype.Binding
	var err error
	if fb, ok := a.cfg.Profiles.(BrowserBinder); ok {
		bind, err = fb.BindBrowser(ctx, b.browser, b.userDataDirHint, res.Cookies)
	} else {
		bind, err = a.cfg.Profiles.Bind(ctx, b.userDataDirHint, res.Cookies)
	}
	if err != nil {
		b.log.Warn("profile binding failed", "err", err)
		return
	}
	b.mu.Lock()
	b.profileDir, b.binding, b.bound = bind.ProfileDir, bind.Method, &bind
	b.mu.Unlock()
	b.log.Info("bridge bound to profile", "profile", bind.ProfileDir, "method", bind.Method, "evidence", bind.Evidence)
	a.saveBridge(b)
	a.startWatch(b, bind)
	a.signalBridges()
}

func (a *Agent) startWatch(b *peer, bind apitype.Binding) {
	if bind.CookieStore == "" {
		return
	}
	a.watches.mu.Lock()
	defer a.watches.mu.Unlock()
	if a.watches.byDir == nil {
		a.watches.byDir = map[string]*profileWatch{}
	}
	if w := a.watches.byDir[bind.CookieStore]; w != nil {
		w.bridges[b.id] = true
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	w := &profileWatch{cancel: cancel, bridges: map[string]bool{b.id: true}}
	a.watches.byDir[bind.CookieStore] = w
	go func() {
		err := a.cfg.Profiles.Watch(ctx, bind, a.watchedFor(b),
			func(id string) {
				if a.cfg.NoDiskEvents {
					return
				}
				a.sessions.AuthCookiesChanged(id, "watcher")
			},
			func() { a.rebindAll() })
		if err != nil && ctx.Err() == nil {
			a.log.Warn("profile watcher stopped", "store", bind.CookieStore, "err", err)
		}
	}()
}

// stopWatch drops a bridge from its watcher, stopping it with the last one.
func (a *Agent) stopWatch(b *peer) {
	a.watches.mu.Lock()
	defer a.watches.mu.Unlock()
	for dir, w := range a.watches.byDir {
		if w.bridges[b.id] {
			delete(w.bridges, b.id)
			if len(w.bridges) == 0 {
				w.cancel()
				delete(a.watches.byDir, dir)
			}
		}
	}
}

// restartWatches restarts every watcher, for a new set of connectors.
func (a *Agent) restartWatches() {
	bs := a.bridgeList()
	for _, b := range bs {
		a.stopWatch(b)
		b.mu.Lock()
		bound := b.bound
		b.mu.Unlock()
		if bound != nil {
			a.startWatch(b, *bound)
		}
	}
}

// rebindAll binds every bridge again (a profile was added, removed or
// renamed in Local State).
func (a *Agent) rebindAll() {
	bs := a.bridgeList()
	for _, b := range bs {
		a.stopWatch(b)
		go a.bindBridge(b)
	}
}
