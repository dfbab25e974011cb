package agent

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/firefoxprofile"
	"github.com/authbridge/authbridge/host/session"
	"github.com/authbridge/authbridge/manifest"
)

// browserProfiles lists the user's own browser folders a connector's
// session.profile_dir must stay out of (session.Config.BrowserProfiles):
// the profile of every bridge bound now or before (the state database
// remembers them), and the known user data dirs and Firefox profile roots
// of every browser authbridge knows, whether they exist yet or not.
func (a *Agent) browserProfiles() []session.BrowserProfile {
	var out []session.BrowserProfile
	for _, b := range a.bridgeList() {
		if d := b.info().ProfileDir; d != "" {
			out = append(out, session.BrowserProfile{Dir: d, What: "the profile a browser bridge is bound to"})
		}
	}
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Second)
	defer cancel()
	if dirs, err := a.store.BridgeProfiles(ctx); err == nil {
		for _, d := range dirs {
			out = append(out, session.BrowserProfile{Dir: d, What: "a profile a browser bridge was bound to"})
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return out
	}
	env := manifest.Env{OS: runtime.GOOS, Home: home, Getenv: os.Getenv}
	for _, u := range chromeprofile.UserDataDirs(env) {
		out = append(out, session.BrowserProfile{Dir: u.Dir, What: u.DisplayName + "'s user data dir"})
	}
	for _, r := range firefoxprofile.Roots(env) {
		out = append(out, session.BrowserProfile{Dir: r, What: "a Firefox profile folder"})
	}
	return out
}
