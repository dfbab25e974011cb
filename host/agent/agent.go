// Package agent is the per-user authbridge service (`authbridge serve`). It
// owns the process lifecycle, the bridge socket the relays connect to, the
// bridges' binding to on-disk profiles, and the routing of connector
// requests to the browser profile that serves them. Connector sessions are
// the session package's, definitions the catalog's, the local API the
// localapi package's, the cookie stream, refresh and access-log routes the
// release package's; one relay connection's framing is the bridge
// package's, its held cookie answers the held package's. The agent wires
// them and is their Browser.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/access"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/bridge"
	"github.com/authbridge/authbridge/host/catalog"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/dbsc"
	"github.com/authbridge/authbridge/host/held"
	"github.com/authbridge/authbridge/host/localapi"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/release"
	"github.com/authbridge/authbridge/host/safesocket"
	"github.com/authbridge/authbridge/host/session"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/host/verify"
)

// Config configures an agent.
type Config struct {
	Paths   paths.Paths
	Version string
	// IdleExit stops the agent after this long with no bridge and no
	// request; 0 keeps it running.
	IdleExit time.Duration
	// BridgeGrace is how long a request that needs live cookies waits for a
	// browser to connect when none is (relays reconnect right after an agent
	// restart).
	BridgeGrace time.Duration
	// AllowedOrigins are the extension origins a bridge may speak for.
	AllowedOrigins []string
	// LoadConnectors returns the connector definitions; called at start and
	// whenever the connectors folder changes.
	LoadConnectors catalog.Loader
	Log            *slog.Logger
	// Ready is called once both sockets listen.
	Ready func()
	// VerifyTimeout bounds each verification probe (0: the verify
	// package's default).
	VerifyTimeout time.Duration
	// OnOutcome is told of every verify, repair and clear the host runs.
	OnOutcome func(ctx context.Context, o session.Outcome)
	// ExtraRoutes adds local API routes ("METHOD /v1/path": handler).
	ExtraRoutes map[string]localapi.HandlerFunc
	// ProfileWriter writes repaired cookies into persistent profiles.
	ProfileWriter session.ProfileWriter
	// Profiles binds bridges to on-disk profiles and watches them (nil:
	// no binding, no disk watching).
	Profiles Profiles
	// NoLiveEvents ignores the extension's cookie change events, so only
	// the disk watcher heals (AUTHBRIDGE_LIVE_EVENTS=off).
	NoLiveEvents bool
	// NoDiskEvents ignores the disk watcher's events.
	NoDiskEvents bool
	// NoAutoRepair turns automatic repair off: a changed sign-in then only
	// completes an interactive repair the user started.
	NoAutoRepair bool
	// MaxStreams caps the cookie streams open at once per user (0:
	// release.DefaultMaxStreams); one more is refused with busy (HTTP 429).
	MaxStreams int
	// StreamStall closes a cookie stream whose caller has not taken a
	// write for this long (0: release.DefaultStreamStall).
	StreamStall time.Duration
	// AuditRetention is how long cookie release audit rows are kept (0:
	// DefaultAuditRetention).
	AuditRetention time.Duration
}

// Agent is the running service.
type Agent struct {
	cfg      Config
	ctx      context.Context
	cancel   context.CancelFunc
	log      *slog.Logger
	store    *store.Store
	catalog  *catalog.Catalog
	sessions *session.Manager
	api      *localapi.Server

	mu             sync.Mutex
	bridges        map[string]*peer
	bridgeEvent    chan struct{} // closed and replaced whenever bridges change
	lastUse        time.Time
	active         int
	started        time.Time
	watches        profileWatches
	lastBridgeGone time.Time

	bridgeHandlers map[string]bridgeHandler
	release        *release.Routes
	cookieCalls    held.Group

	// bridgeConns counts the goroutines serving bridge connections: Run
	// waits for them (each records its bridge's end in the state database)
	// before the store closes.
	bridgeConns sync.WaitGroup
}

type bridgeHandler func(ctx context.Context, b *peer, raw json.RawMessage) (any, error)

// New opens the state and prepares an agent; Run serves it.
func New(ctx context.Context, cfg Config) (*Agent, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.BridgeGrace == 0 {
		cfg.BridgeGrace = 3 * time.Second
	}
	if err := cfg.Paths.EnsureDirs(); err != nil {
		return nil, err
	}
	// A verify browser's throw-away profile is removed when its probe ends;
	// one left by an agent that crashed mid-probe goes now.
	profiles := VerifyProfileRoot(cfg.Paths)
	if n, err := verify.RemoveStaleProfiles(profiles); err != nil {
		cfg.Log.Warn("stale verify profiles not removed", "dir", profiles, "err", err)
	} else if n > 0 {
		cfg.Log.Info("removed stale verify profiles", "dir", profiles, "count", n)
	}
	st, err := store.Open(ctx, cfg.Paths.StateDB)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg: cfg, log: cfg.Log, store: st,
		bridges: map[string]*peer{}, bridgeEvent: make(chan struct{}),
		lastUse: time.Now(), started: time.Now(),
	}
	// The agent's lifetime starts now, so that heals may run before Run;
	// Run ends it.
	a.ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	a.catalog = catalog.New(cfg.LoadConnectors, cfg.Log)
	a.sessions = session.New(a.ctx, session.Config{
		Browser: a, Store: st, Catalog: a.catalog, Notifier: a,
		VerifyTimeout: cfg.VerifyTimeout, VerifyProfileRoot: profiles, OnOutcome: cfg.OnOutcome,
		ProfileWriter: cfg.ProfileWriter, NoAutoRepair: cfg.NoAutoRepair, Log: cfg.Log,
		BrowserProfiles: a.browserProfiles, BrowserCheck: a.browserCheck,
	})
	a.release = release.New(release.Config{
		Catalog: a.catalog, Sessions: a.sessions, Refresh: a.fetchVerify, Callers: st.CallerSummaries, Access: a.Access,
		MaxStreams: cfg.MaxStreams, StreamStall: cfg.StreamStall, Done: a.ctx.Done(),
	})
	extra := a.release.Handlers()
	for k, v := range cfg.ExtraRoutes {
		extra[k] = v
	}
	a.api = localapi.New(localapi.Config{
		Agent: a.info, Catalog: a.catalog, Sessions: a.sessions, Bridges: a, Extra: extra, Busy: a.busy,
	})
	a.bridgeHandlers = map[string]bridgeHandler{
		apitype.TypeHello:          a.handleHello,
		apitype.TypeAPI:            a.handleAPI,
		apitype.TypeCookiesChanged: a.handleCookiesChanged,
		apitype.TypeCookiesTouched: a.handleCookiesTouched,
		apitype.TypeAccessChanged:  a.handleAccessChanged,
	}
	return a, nil
}

// VerifyProfileRoot is the directory of the agent's verify browser
// profiles: under the agent's home, which only it uses while it holds the
// agent lock.
func VerifyProfileRoot(p paths.Paths) string {
	return filepath.Join(p.Home, "tmp", "verify")
}

func (a *Agent) info() apitype.AgentInfo {
	return apitype.AgentInfo{PID: os.Getpid(), Version: a.cfg.Version, Socket: a.cfg.Paths.APISocket, Home: a.cfg.Paths.Home, StartedAt: a.started}
}

// Run listens on both sockets and serves until ctx ends or the agent has
// been idle for IdleExit.
func (a *Agent) Run(ctx context.Context) error {
	defer a.store.Close()
	defer a.cancel()
	stop := context.AfterFunc(ctx, a.cancel)
	defer stop()
	ctx = a.ctx
	// The bridge socket first: once the API socket takes connections, both
	// do (a client that waits for the API socket may connect a relay next).
	bridgeL, err := safesocket.Listen(a.cfg.Paths.BridgeSocket)
	if err != nil {
		return err
	}
	apiL, err := safesocket.ListenRefusing(a.cfg.Paths.APISocket, localapi.RefuseOtherUser)
	if err != nil {
		bridgeL.Close()
		return err
	}
	shutdown := a.api.Serve(apiL)
	accepting := make(chan struct{})
	go func() { a.acceptBridges(bridgeL); close(accepting) }()
	a.log.Info("agent listening", "api", a.cfg.Paths.APISocket, "bridge", a.cfg.Paths.BridgeSocket, "pid", os.Getpid())
	go func() {
		roots := catalog.Roots(catalog.Places(a.cfg.Paths))
		if err := a.catalog.WatchRoots(ctx, roots, a.connectorsChanged); err != nil {
			a.log.Warn("connectors folder not watched", "err", err)
		}
	}()
	pruned := make(chan struct{})
	pctx, stopPrune := context.WithCancel(ctx)
	go func() { a.pruneAudit(pctx); close(pruned) }()
	if a.cfg.Ready != nil {
		a.cfg.Ready()
	}
	a.idleLoop(ctx)
	stopPrune()
	<-pruned
	a.log.Info("agent stopping")
	bridgeL.Close()
	shutdownCtx, c2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer c2()
	shutdown(shutdownCtx)
	<-accepting // no bridge connection starts after this
	for _, b := range a.bridgeList() {
		b.conn.Close()
	}
	// Each bridge's goroutine records its end; the store closes after them
	// (a bridge still saying hello ends by its own deadline, or is left).
	served := make(chan struct{})
	go func() { a.bridgeConns.Wait(); close(served) }()
	select {
	case <-served:
	case <-shutdownCtx.Done():
		a.log.Warn("bridge connections still open at shutdown")
	}
	// A heal still running (and the browser it started to write a
	// profile) stops on the cancelled lifetime; the store closes after it.
	a.cancel()
	healCtx, c3 := context.WithTimeout(context.Background(), 15*time.Second)
	defer c3()
	if err := a.sessions.Wait(healCtx); err != nil {
		a.log.Warn("a heal was still running at shutdown")
	}
	return nil
}

func (a *Agent) idleLoop(ctx context.Context) {
	if a.cfg.IdleExit <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(min(a.cfg.IdleExit/4, 5*time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.mu.Lock()
			idle := len(a.bridges) == 0 && a.active == 0 && time.Since(a.lastUse) >= a.cfg.IdleExit
			a.mu.Unlock()
			if idle {
				a.log.Info("idle, exiting", "idle_exit", a.cfg.IdleExit)
				return
			}
		}
	}
}

// busy counts a request in flight for the idle clock.
func (a *Agent) busy() (done func()) {
	a.mu.Lock()
	a.active++
	a.lastUse = time.Now()
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		a.active--
		a.lastUse = time.Now()
		a.mu.Unlock()
	}
}

func (a *Agent) acceptBridges(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		a.bridgeConns.Add(1)
		go func() {
			defer a.bridgeConns.Done()
			a.startBridge(c)
		}()
	}
}

func (a *Agent) startBridge(c net.Conn) {
	h, err := bridge.Accept(c, a.cfg.AllowedOrigins)
	if err != nil {
		a.log.Warn("bridge not accepted", "err", err)
		return
	}
	b := &peer{
		id: uuid.NewString(), origin: h.Origin, relayPID: h.RelayPID, connected: time.Now(), lastActive: time.Now(),
		userDataDirHint: h.UserDataDir, browser: h.Browser,
	}
	b.log = a.log.With("bridge", b.id[:8])
	b.conn = bridge.New(c, b.log)
	a.mu.Lock()
	a.bridges[b.id] = b
	a.signalBridgesLocked()
	a.mu.Unlock()
	a.saveBridge(b)
	b.log.Info("bridge connected", "origin", h.Origin, "relay_pid", h.RelayPID)
	handlers := make(map[string]bridge.Handler, len(a.bridgeHandlers))
	for typ, h := range a.bridgeHandlers {
		handlers[typ] = func(ctx context.Context, raw json.RawMessage) (any, error) { return h(ctx, b, raw) }
	}
	b.conn.Serve(a.ctx, bridge.Routes{Seen: b.touch, Handlers: handlers, Inline: map[string]func([]byte){
		// On the reader itself, before the next frame: see held.Answers.
		apitype.TypeCookiesStale: func(raw []byte) {
			if err := b.answers.Stale(raw); err != nil {
				b.log.Warn("bad cookies.stale from extension; every held answer dropped", "err", err)
			}
		},
	}})
	a.removeBridge(b)
}

// saveBridge records a bridge as it is now in the state database.
func (a *Agent) saveBridge(b *peer) {
	i := b.info()
	a.store.UpsertBridge(a.ctx, store.Bridge{ID: b.id, Origin: b.origin, ExtensionVersion: i.ExtensionVersion, UserAgent: i.UserAgent,
		RelayPID: b.relayPID, ProfileDir: i.ProfileDir, BindingMethod: i.Binding, ConnectedAt: b.connected, LastSeenAt: time.Now()})
}

func (a *Agent) removeBridge(b *peer) {
	a.mu.Lock()
	delete(a.bridges, b.id)
	a.lastUse = time.Now()
	a.lastBridgeGone = time.Now()
	a.signalBridgesLocked()
	a.mu.Unlock()
	a.store.BridgeDisconnected(context.Background(), b.id, time.Now())
	a.stopWatch(b)
	b.log.Info("bridge disconnected")
}

func (a *Agent) signalBridgesLocked() {
	close(a.bridgeEvent)
	a.bridgeEvent = make(chan struct{})
}

func (a *Agent) signalBridges() {
	a.mu.Lock()
	a.signalBridgesLocked()
	a.mu.Unlock()
}

// bridgeList is a snapshot of the connected bridges.
func (a *Agent) bridgeList() []*peer {
	a.mu.Lock()
	defer a.mu.Unlock()
	bs := make([]*peer, 0, len(a.bridges))
	for _, b := range a.bridges {
		bs = append(bs, b)
	}
	return bs
}

// Bridges lists the connected browser profiles, most recently active first.
func (a *Agent) Bridges() []apitype.BridgeInfo {
	bs := a.bridgeList()
	out := make([]apitype.BridgeInfo, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastActiveAt.After(out[j].LastActiveAt) })
	return out
}

// LastBridgeSeen is when a browser was last connected.
func (a *Agent) LastBridgeSeen(ctx context.Context) (time.Time, error) {
	return a.store.LastBridgeSeen(ctx)
}

// pickBridge returns the bridge that serves a connector: the one bound to its
// source profile, else the most recently active one. It waits up to
// BridgeGrace when none is connected yet, since relays reconnect right after
// the agent (re)starts.
func (a *Agent) pickBridge(ctx context.Context, def connector.Definition) (*peer, error) {
	// Wait only when a browser is likely on its way: right after the agent
	// started, or right after a bridge went away (a relay reconnecting).
	a.mu.Lock()
	grace := a.cfg.BridgeGrace
	if time.Since(a.started) > grace && time.Since(a.lastBridgeGone) > grace {
		grace = 0
	}
	a.mu.Unlock()
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		var best *peer
		for _, b := range a.bridges {
			if best == nil || b.info().LastActiveAt.After(best.info().LastActiveAt) {
				best = b
			}
		}
		if def.SourceProfile != "" {
			for _, b := range a.bridges {
				if b.info().ProfileDir == def.SourceProfile {
					best = b
				}
			}
		}
		ev := a.bridgeEvent
		a.mu.Unlock()
		if best != nil {
			return best, nil
		}
		select {
		case <-ev:
		case <-deadline.C:
			return nil, ErrNoBridge
		case <-ctx.Done():
			return nil, ErrNoBridge
		}
	}
}

// BrowserName names the browser that would serve def now: "Firefox" when
// its user agent says so, else "" (a Chromium-based browser, or none). It
// never waits for a browser (session.BrowserNamer).
func (a *Agent) BrowserName(def connector.Definition) string {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return ""
	}
	if strings.Contains(b.info().UserAgent, "Firefox/") {
		return "Firefox"
	}
	return ""
}

// ErrNoBridge means no browser extension is connected.
var ErrNoBridge = session.ErrNoBrowser

// LiveCookies asks the browser that serves a connector for its cookies,
// keeping only those inside the connector's domains and not expired
// (session.Browser).
func (a *Agent) LiveCookies(ctx context.Context, def connector.Definition) (session.Live, error) {
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return session.Live{}, err
	}
	// The browser's grants first: nothing of a connector not allowed there
	// is asked for, nor answered from an earlier answer.
	if miss := b.missing(def.Domains); len(miss) > 0 {
		return session.Live{}, access.NotGranted(def.ID, def.Name, miss)
	}
	req := apitype.CookiesGet{Domains: def.Domains, Store: def.SourceStore}
	if cs, ok := b.answers.Held(req); ok {
		return session.Live{Cookies: cookies.FilterLive(cs, def.Domains, time.Now()), UserAgent: b.info().UserAgent}, nil
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := a.cookieCalls.Do(cctx, a.ctx, held.CallKey(b.id, def.SourceStore, def.Domains), func(sctx context.Context) (apitype.CookiesResult, error) {
		// The shared request has its own timeout: callers that joined it
		// wait on it too, past the first caller's context.
		sctx, scancel := context.WithTimeout(sctx, 10*time.Second)
		defer scancel()
		return b.answers.Get(sctx, req, func(ctx context.Context, req apitype.CookiesGet) (apitype.CookiesResult, error) {
			var res apitype.CookiesResult
			err := b.conn.Call(ctx, req, &res)
			return res, err
		})
	})
	if err != nil {
		return session.Live{}, notGrantedOf(def, err)
	}
	return session.Live{Cookies: cookies.FilterLive(res.Cookies, def.Domains, time.Now()), UserAgent: b.info().UserAgent}, nil
}

// OpenTab opens url in the browser that serves def (session.Browser).
func (a *Agent) OpenTab(ctx context.Context, def connector.Definition, url string) (int, error) {
	if !def.MayOpen(url) {
		return 0, localapi.BadRequest("connector %s may not open %s: it is outside its domains and sign_in_domains", def.ID, url)
	}
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return 0, err
	}
	var res apitype.TabsOpenResult
	if err := b.conn.Call(ctx, apitype.TabsOpen{URL: url}, &res); err != nil {
		return 0, err
	}
	return res.TabID, nil
}

// DeviceBound returns the sites of def's domains that hold a device-bound
// session (DBSC) in the on-disk profile of the browser serving def, read
// from its store without the browser (session.DeviceBoundChecker). A
// bridge not bound to a profile yet, or a Firefox one, has none.
func (a *Agent) DeviceBound(ctx context.Context, def connector.Definition) ([]string, error) {
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	dir, family := b.profileDir, b.browser
	b.mu.Unlock()
	if dir == "" || family == "firefox" || len(b.missing(def.Domains)) > 0 {
		return nil, nil
	}
	return dbsc.ProfileStoredSites(dir, def.Domains)
}

// StatusChanged pushes changed rows to every connected extension, which
// upserts them by id (session.Notifier).
func (a *Agent) StatusChanged(rows []apitype.StatusRow) {
	for _, b := range a.bridgeList() {
		if err := b.conn.Notify(apitype.StatusChanged{Connectors: rows}); err != nil {
			b.log.Warn("status.changed not sent", "err", err)
		}
	}
}

// connectorsChanged tells every bridge and profile watcher of a new set of
// definitions, and every popup of the new rows.
func (a *Agent) connectorsChanged() {
	for _, b := range a.bridgeList() {
		go a.sendWatchSet(b)
	}
	a.restartWatches()
	a.pushAllRows()
}

// watchedFor is the connectors of watched() whose every domain b's browser
// grants: the disk watcher of b's profile reads nothing of the others.
func (a *Agent) watchedFor(b *peer) []apitype.WatchedConnector {
	all := a.watched()
	out := all[:0:0]
	for _, w := range all {
		if len(b.missing(w.Domains)) == 0 {
			out = append(out, w)
		}
	}
	return out
}

// watched is the connectors whose auth cookies the watchers follow.
func (a *Agent) watched() []apitype.WatchedConnector {
	defs, _ := a.catalog.Connectors()
	ws := make([]apitype.WatchedConnector, 0, len(defs))
	for _, d := range defs {
		ws = append(ws, apitype.WatchedConnector{ID: d.ID, Domains: d.Domains, AuthCookies: d.AuthCookies})
	}
	return ws
}

func (a *Agent) sendWatchSet(b *peer) {
	ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
	defer cancel()
	var res apitype.WatchSetResult
	if err := b.conn.Call(ctx, apitype.WatchSet{Connectors: a.watched()}, &res); err != nil {
		b.log.Warn("watch.set failed", "err", err)
		return
	}
	b.mu.Lock()
	b.index = &res
	b.mu.Unlock()
	b.log.Info("cookie index primed", "primed_ms", res.PrimedMS, "indexed", res.Indexed)
}

func (a *Agent) handleHello(ctx context.Context, b *peer, raw json.RawMessage) (any, error) {
	var h apitype.Hello
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "hello: " + err.Error()}
	}
	b.mu.Lock()
	b.extID, b.extVersion, b.userAgent = bridge.CapField(h.ExtensionID, 64), bridge.CapField(h.Version, 64), bridge.CapField(h.UserAgent, bridge.MaxUserAgent)
	if h.Origins != nil {
		b.origins, b.originsKnown = bridge.CapOrigins(h.Origins), true
	}
	b.acceptLang = bridge.CapField(h.AcceptLanguage, bridge.MaxUserAgent)
	b.mu.Unlock()
	a.saveBridge(b)
	go func() {
		a.sendWatchSet(b)
		a.bindBridge(b)
	}()
	a.signalBridges()
	return apitype.HelloResult{AgentVersion: a.cfg.Version, BridgeID: b.id}, nil
}

// notGrantedOf turns the extension's access_not_granted answer into the
// host's refusal (naming the connector, with the allow_access prompt).
func notGrantedOf(def connector.Definition, err error) error {
	var ae *apitype.Error
	if errors.As(err, &ae) && ae.Code == apitype.CodeAccessNotGranted {
		miss := strings.Fields(ae.Detail)
		if len(miss) == 0 {
			miss = def.Domains
		}
		return access.NotGranted(def.ID, def.Name, miss)
	}
	return err
}

// handleAccessChanged follows a grant made or removed in the browser:
// streams of connectors no longer granted end (they read again and are
// refused), the disk watcher follows only granted connectors, the rows
// show the new access, and a new grant binds the profile again.
func (a *Agent) handleAccessChanged(ctx context.Context, b *peer, raw json.RawMessage) (any, error) {
	var m apitype.AccessChanged
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "access.changed: " + err.Error()}
	}
	origins := bridge.CapOrigins(m.Origins)
	b.mu.Lock()
	before := map[string]bool{}
	for _, o := range b.origins {
		before[o] = true
	}
	b.origins, b.originsKnown = origins, true
	b.mu.Unlock()
	added := false
	for _, o := range origins {
		if !before[o] {
			added = true
		}
	}
	b.log.Info("browser grants changed", "origins", len(origins))
	defs, _ := a.catalog.Connectors()
	ids := make([]string, 0, len(defs))
	for _, d := range defs {
		ids = append(ids, d.ID)
	}
	a.release.Publish(ids...)
	if added {
		go a.bindBridge(b)
	} else {
		a.restartWatches()
	}
	go a.pushAllRows()
	return nil, nil
}

// pushAllRows sends every row to every extension (status.changed with
// complete).
func (a *Agent) pushAllRows() {
	rows, err := a.sessions.Rows(a.ctx, false)
	if err != nil {
		a.log.Warn("status rows", "err", err)
		return
	}
	for _, b := range a.bridgeList() {
		if err := b.conn.Notify(apitype.StatusChanged{Connectors: rows, Complete: true}); err != nil {
			b.log.Warn("status.changed not sent", "err", err)
		}
	}
}

// Access tells whether the browser that serves def grants all its domains,
// and which it does not (session.AccessChecker); "" when no browser is
// connected. It never waits for a browser.
func (a *Agent) Access(def connector.Definition) (string, []string) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return "", nil
	}
	if miss := b.missing(def.Domains); len(miss) > 0 {
		return apitype.AccessNotGranted, miss
	}
	return apitype.AccessGranted, nil
}

// handleAPI answers an `api` message from the extension with the local
// API's routes.
func (a *Agent) handleAPI(ctx context.Context, b *peer, raw json.RawMessage) (any, error) {
	var m apitype.APIRequest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "api: " + err.Error()}
	}
	return a.api.Call(ctx, b.id[:8], m)
}

func (a *Agent) handleCookiesChanged(ctx context.Context, b *peer, raw json.RawMessage) (any, error) {
	var m apitype.CookiesChanged
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "cookies.changed: " + err.Error()}
	}
	if a.cfg.NoLiveEvents {
		return nil, nil
	}
	defs, _ := a.catalog.Connectors()
	a.publishChanges(defs, m.Changes)
	for _, d := range defs {
		if touchesAuth(d, m.Changes) {
			a.sessions.AuthCookiesChanged(d.ID, "live")
		}
	}
	return nil, nil
}

// publishChanges wakes the streams of every connector a cookies.changed
// touches (auth cookies: the extension forwards those).
func (a *Agent) publishChanges(defs []connector.Definition, changes []apitype.CookieChange) {
	for _, d := range defs {
		for _, c := range changes {
			if cookies.InScope(c.Cookie.Domain, d.Domains) {
				a.release.Publish(d.ID)
				break
			}
		}
	}
}

// handleCookiesTouched takes the extension's cookies.touched notification.
func (a *Agent) handleCookiesTouched(ctx context.Context, b *peer, raw json.RawMessage) (any, error) {
	var m apitype.CookiesTouched
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &apitype.Error{Code: apitype.CodeBadRequest, Message: "cookies.touched: " + err.Error()}
	}
	a.release.Publish(m.Connectors...)
	return nil, nil
}

// touchesAuth reports whether a change sets (not only removes) one of the
// connector's auth cookies.
func touchesAuth(d connector.Definition, changes []apitype.CookieChange) bool {
	for _, c := range changes {
		if !c.Removed && cookies.IsAuthCookie(d.Domains, d.AuthCookies, c.Cookie.Name, c.Cookie.Domain) {
			return true
		}
	}
	return false
}
