package taxonomy

import (
	"fmt"
	"strings"
)

// NotCheckedPrompt is the prompt of a connector whose session authbridge has
// not verified yet (or whose session was cleared): nothing failed, and the
// next action is to verify.
func NotCheckedPrompt(connectorName string, cleared bool) Prompt {
	site := connectorName
	if site == "" {
		site = defaultSite
	}
	p := Prompt{
		What:   "Session not checked yet",
		Why:    fmt.Sprintf("authbridge has not verified the %s session yet.", site),
		Action: actionVerify,
	}
	if cleared {
		p.What = "Session cleared"
		p.Why = fmt.Sprintf("The stored %s session was cleared; your browser's own cookies were not touched.", site)
		p.Action = actionRepair
	}
	return p
}

// InteractivePendingPrompt is shown while authbridge waits for the person to
// finish signing in in the tab it opened.
func InteractivePendingPrompt(connectorName string) Prompt {
	return Prompt{
		What:   "Waiting for you to sign in",
		Why:    fmt.Sprintf("Sign in to %s in the tab that opened; authbridge finishes the repair by itself.", connectorName),
		Action: actionVerify,
	}
}

// AccessPrompt is the prompt of a connector whose domains the browser does
// not grant (all of) yet: missing names them.
func AccessPrompt(connectorName string, missing []string) Prompt {
	site := connectorName
	if site == "" {
		site = defaultSite
	}
	return Prompt{
		What:   "Access not allowed yet",
		Why:    fmt.Sprintf("Your browser has not allowed authbridge to read %s for %s; nothing of those sites leaves the browser until you allow it.", strings.Join(missing, ", "), site),
		Action: actionAllowAccess,
	}
}
