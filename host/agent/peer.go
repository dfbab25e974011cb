package agent

import (
	"log/slog"
	"sync"
	"time"

	"github.com/authbridge/authbridge/host/access"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/bridge"
	"github.com/authbridge/authbridge/host/held"
)

// peer is one connected bridge: the extension in one browser profile, and
// what the agent knows of it.
type peer struct {
	id        string
	origin    string
	relayPID  int
	conn      *bridge.Conn
	log       *slog.Logger
	connected time.Time
	// answers are the extension's last cookies.get answers.
	answers held.Answers

	mu         sync.Mutex
	extID      string
	extVersion string
	userAgent  string
	acceptLang string
	lastActive time.Time
	profileDir string
	binding    string
	bound      *apitype.Binding
	// userDataDirHint is the --user-data-dir of the browser that started
	// the relay, when the relay could tell.
	userDataDirHint string
	// browser is the family the relay said it serves ("chromium", "firefox").
	browser string
	// index is the extension's answer to the last watch.set.
	index *apitype.WatchSetResult
	// origins are the host permissions the browser grants the extension
	// (hello, access.changed); originsKnown is false for an extension that
	// does not say (it then enforces its own grants alone).
	origins      []string
	originsKnown bool
}

func (b *peer) info() apitype.BridgeInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	info := apitype.BridgeInfo{
		ID: b.id, Origin: b.origin, ExtensionID: b.extID, ExtensionVersion: b.extVersion,
		UserAgent: b.userAgent, AcceptLanguage: b.acceptLang, RelayPID: b.relayPID, ConnectedAt: b.connected,
		LastActiveAt: b.lastActive, ProfileDir: b.profileDir, Binding: b.binding,
	}
	if b.bound != nil {
		c := *b.bound
		info.BindingDetail = &c
	}
	if b.index != nil {
		ix := *b.index
		info.Index = &ix
	}
	return info
}

// missing returns the domains the browser does not grant this bridge's
// extension; none when the extension did not say.
func (b *peer) missing(domains []string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.originsKnown {
		return nil
	}
	return access.Missing(b.origins, domains)
}

func (b *peer) touch() {
	b.mu.Lock()
	b.lastActive = time.Now()
	b.mu.Unlock()
}
