// Package agent is the per-user authbridge service (`authbridge serve`). It
// owns the local API socket, the bridge socket the relays connect to, the
// state database, and the routing of connector requests to the browser
// profile that serves them.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/host/nativemsg"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/safesocket"
	"github.com/authbridge/authbridge/host/store"
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
	// when the definitions directory changes.
	LoadConnectors func() ([]connector.Definition, []Problem)
	Log            *slog.Logger
	// Ready is called once both sockets listen.
	Ready func()
	// VerifyTimeout bounds each verification probe (0: the verify
	// package's default).
	VerifyTimeout time.Duration
	// OnOutcome is told of every verify, repair and clear the host runs.
	OnOutcome func(ctx context.Context, o Outcome)
	// ExtraRoutes adds local API routes ("METHOD /v1/path": handler).
	ExtraRoutes map[string]HandlerFunc
	// ProfileWriter writes repaired cookies into persistent profiles.
	ProfileWriter ProfileWriter
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
}

// Problem is a connector definition that could not be loaded.
type Problem struct {
	File    string `json:"file"`
	Message string `json:"message"`
}

// Agent is the running service.
type Agent struct {
	cfg   Config
	ctx   context.Context
	log   *slog.Logger
	store *store.Store

	mu             sync.Mutex
	bridges        map[string]*bridge
	bridgeEvent    chan struct{} // closed and replaced whenever bridges change
	defs           map[string]connector.Definition
	problems       []Problem
	lastUse        time.Time
	active         int
	started        time.Time
	sessions       map[string]*sessionState
	watches        profileWatches
	lastBridgeGone time.Time

	bridgeHandlers map[string]bridgeHandler
	api            http.Handler
}

type bridgeHandler func(ctx context.Context, b *bridge, raw json.RawMessage) (any, error)

// BridgeInfo describes one connected browser profile.
type BridgeInfo struct {
	ID               string    `json:"id"`
	Origin           string    `json:"origin"`
	ExtensionID      string    `json:"extension_id,omitempty"`
	ExtensionVersion string    `json:"extension_version,omitempty"`
	UserAgent        string    `json:"user_agent,omitempty"`
	RelayPID         int       `json:"relay_pid"`
	ConnectedAt      time.Time `json:"connected_at"`
	LastActiveAt     time.Time `json:"last_active_at"`
	ProfileDir       string    `json:"profile_dir,omitempty"`
	Binding          string    `json:"binding,omitempty"`
	// BindingDetail says how the profile was found (absent until bound).
	BindingDetail *Binding `json:"binding_detail,omitempty"`
}

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
	st, err := store.Open(ctx, cfg.Paths.StateDB)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		cfg: cfg, log: cfg.Log, store: st,
		bridges: map[string]*bridge{}, bridgeEvent: make(chan struct{}),
		lastUse: time.Now(), started: time.Now(),
	}
	a.reloadConnectors()
	a.bridgeHandlers = map[string]bridgeHandler{
		"hello":           a.handleHello,
		"api":             a.handleAPI,
		"cookies.changed": a.handleCookiesChanged,
	}
	a.api = a.routes()
	return a, nil
}

// Store exposes the state database (for in-process tests).
func (a *Agent) Store() *store.Store { return a.store }

// Run listens on both sockets and serves until ctx ends or the agent has
// been idle for IdleExit.
func (a *Agent) Run(ctx context.Context) error {
	defer a.store.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.ctx = ctx
	apiL, err := safesocket.Listen(a.cfg.Paths.APISocket)
	if err != nil {
		return err
	}
	bridgeL, err := safesocket.Listen(a.cfg.Paths.BridgeSocket)
	if err != nil {
		apiL.Close()
		return err
	}
	srv := &http.Server{
		Handler:           a.countActive(a.api),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if cred, ok := safesocket.PeerOf(c); ok {
				return context.WithValue(ctx, peerKey{}, cred)
			}
			return ctx
		},
	}
	go srv.Serve(apiL)
	go a.acceptBridges(bridgeL)
	a.log.Info("agent listening", "api", a.cfg.Paths.APISocket, "bridge", a.cfg.Paths.BridgeSocket, "pid", os.Getpid())
	if a.cfg.Ready != nil {
		a.cfg.Ready()
	}
	go a.watchConnectorsDir(ctx)
	a.idleLoop(ctx)
	a.log.Info("agent stopping")
	bridgeL.Close()
	shutdownCtx, c2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer c2()
	srv.Shutdown(shutdownCtx)
	a.mu.Lock()
	for _, b := range a.bridges {
		b.conn.Close()
	}
	a.mu.Unlock()
	return nil
}

type peerKey struct{}

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

func (a *Agent) countActive(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.active++
		a.lastUse = time.Now()
		a.mu.Unlock()
		defer func() {
			a.mu.Lock()
			a.active--
			a.lastUse = time.Now()
			a.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// bridgeHello is the relay's first frame.
type bridgeHello struct {
	Type     string `json:"type"`
	Origin   string `json:"origin"`
	RelayPID int    `json:"relay_pid"`
	Protocol int    `json:"protocol"`
	// UserDataDir is the browser's --user-data-dir, when the relay saw it.
	UserDataDir string `json:"user_data_dir,omitempty"`
	// Browser is the browser family the relay serves: "chromium" or "firefox".
	Browser string `json:"browser,omitempty"`
}

func (a *Agent) acceptBridges(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go a.startBridge(c)
	}
}

func (a *Agent) startBridge(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, err := nativemsg.NewReader(c, 64<<10).ReadMessage()
	c.SetReadDeadline(time.Time{})
	if err != nil {
		a.log.Warn("bridge without hello", "err", err)
		c.Close()
		return
	}
	var h bridgeHello
	if err := json.Unmarshal(raw, &h); err != nil || h.Type != "bridge.hello" {
		a.log.Warn("bridge's first frame is not bridge.hello")
		c.Close()
		return
	}
	if !OriginAllowed(h.Origin, a.cfg.AllowedOrigins) {
		a.log.Warn("bridge refused: origin not allowed", "origin", h.Origin)
		nativemsg.NewWriter(c, 0).WriteMessage(map[string]any{"type": "error", "error": WireError{Code: "origin_not_allowed", Message: fmt.Sprintf("origin %q is not allowed", h.Origin)}})
		c.Close()
		return
	}
	b := &bridge{
		id: uuid.NewString(), origin: h.Origin, relayPID: h.RelayPID, conn: c,
		w: nativemsg.NewWriter(c, nativemsg.MaxOutbound), connected: time.Now(), lastActive: time.Now(),
		pending: map[string]chan envelope{}, closed: make(chan struct{}),
		userDataDirHint: h.UserDataDir, browser: h.Browser,
	}
	b.log = a.log.With("bridge", b.id[:8])
	a.mu.Lock()
	a.bridges[b.id] = b
	a.signalBridgesLocked()
	a.mu.Unlock()
	a.store.UpsertBridge(a.ctx, store.Bridge{ID: b.id, Origin: b.origin, RelayPID: b.relayPID, ConnectedAt: b.connected, LastSeenAt: b.connected})
	b.log.Info("bridge connected", "origin", h.Origin, "relay_pid", h.RelayPID)
	a.serveBridge(b)
}

func (a *Agent) removeBridge(b *bridge) {
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

// OriginAllowed reports whether origin is one of the allowed extension
// origins (exact match, trailing slash included).
func OriginAllowed(origin string, allowed []string) bool {
	for _, o := range allowed {
		if o == origin {
			return true
		}
	}
	return false
}

// bridgeList is a snapshot of the connected bridges.
func (a *Agent) bridgeList() []*bridge {
	a.mu.Lock()
	defer a.mu.Unlock()
	bs := make([]*bridge, 0, len(a.bridges))
	for _, b := range a.bridges {
		bs = append(bs, b)
	}
	return bs
}

// Bridges lists the connected browser profiles, most recently active first.
func (a *Agent) Bridges() []BridgeInfo {
	bs := a.bridgeList()
	out := make([]BridgeInfo, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastActiveAt.After(out[j].LastActiveAt) })
	return out
}

// pickBridge returns the bridge that serves a connector: the one bound to its
// source profile, else the most recently active one. It waits up to
// BridgeGrace when none is connected yet, since relays reconnect right after
// the agent (re)starts.
func (a *Agent) pickBridge(ctx context.Context, def connector.Definition) (*bridge, error) {
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
		var best *bridge
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

// Connector returns a definition by id.
func (a *Agent) Connector(id string) (connector.Definition, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d, ok := a.defs[id]
	if !ok {
		return connector.Definition{}, fmt.Errorf("%w %q (see `authbridge connectors`)", ErrUnknownConnector, id)
	}
	return d, nil
}

// Connectors returns every definition sorted by id, and load problems.
func (a *Agent) Connectors() ([]connector.Definition, []Problem) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]connector.Definition, 0, len(a.defs))
	for _, d := range a.defs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, append([]Problem(nil), a.problems...)
}

// ErrUnknownConnector is returned for a connector id that is not defined.
var ErrUnknownConnector = errors.New("unknown connector")

func (a *Agent) reloadConnectors() {
	if a.cfg.LoadConnectors == nil {
		return
	}
	defs, problems := a.cfg.LoadConnectors()
	m := make(map[string]connector.Definition, len(defs))
	for _, d := range defs {
		m[d.ID] = d
	}
	a.mu.Lock()
	a.defs, a.problems = m, problems
	bs := make([]*bridge, 0, len(a.bridges))
	for _, b := range a.bridges {
		bs = append(bs, b)
	}
	a.mu.Unlock()
	for _, b := range bs {
		go a.sendWatchSet(b)
	}
	if a.ctx != nil {
		a.restartWatches()
	}
}

// LiveCookies asks the browser for a connector's cookies, keeping only those
// inside the connector's domains and not expired.
func (a *Agent) LiveCookies(ctx context.Context, def connector.Definition) ([]apitype.Cookie, error) {
	b, err := a.pickBridge(ctx, def)
	if err != nil {
		return nil, err
	}
	var res struct {
		Cookies []apitype.Cookie `json:"cookies"`
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.call(cctx, "cookies.get", cookiesGetParams(def), &res); err != nil {
		return nil, err
	}
	return cookies.FilterLive(res.Cookies, def.Domains, time.Now()), nil
}

func (a *Agent) sendWatchSet(b *bridge) {
	defs, _ := a.Connectors()
	type watch struct {
		ID          string   `json:"id"`
		Domains     []string `json:"domains"`
		AuthCookies []string `json:"auth_cookies"`
	}
	ws := make([]watch, 0, len(defs))
	for _, d := range defs {
		ws = append(ws, watch{ID: d.ID, Domains: d.Domains, AuthCookies: d.AuthCookies})
	}
	ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
	defer cancel()
	if err := b.call(ctx, "watch.set", map[string]any{"connectors": ws}, nil); err != nil {
		b.log.Warn("watch.set failed", "err", err)
	}
}

type helloMsg struct {
	ExtensionID string `json:"extension_id"`
	Version     string `json:"version"`
	UserAgent   string `json:"user_agent"`
}

func (a *Agent) handleHello(ctx context.Context, b *bridge, raw json.RawMessage) (any, error) {
	var h helloMsg
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, &WireError{Code: "bad_request", Message: "hello: " + err.Error()}
	}
	b.mu.Lock()
	b.extID, b.extVersion, b.userAgent = h.ExtensionID, h.Version, h.UserAgent
	b.mu.Unlock()
	a.store.UpsertBridge(a.ctx, store.Bridge{ID: b.id, Origin: b.origin, ExtensionVersion: h.Version, UserAgent: h.UserAgent,
		RelayPID: b.relayPID, ConnectedAt: b.connected, LastSeenAt: time.Now()})
	go func() {
		a.sendWatchSet(b)
		a.bindBridge(b)
	}()
	a.mu.Lock()
	a.signalBridgesLocked()
	a.mu.Unlock()
	return map[string]any{"agent_version": a.cfg.Version, "bridge_id": b.id}, nil
}

// cookieChange is one entry of a cookies.changed notification.
type cookieChange struct {
	Removed bool               `json:"removed"`
	Cause   string             `json:"cause"`
	Cookie  apitype.CookieMeta `json:"cookie"`
}

func (a *Agent) handleCookiesChanged(ctx context.Context, b *bridge, raw json.RawMessage) (any, error) {
	var m struct {
		Changes []cookieChange `json:"changes"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &WireError{Code: "bad_request", Message: "cookies.changed: " + err.Error()}
	}
	a.onAuthCookiesChanged(b, m.Changes)
	return nil, nil
}
