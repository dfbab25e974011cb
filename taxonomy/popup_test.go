package taxonomy

import (
	"os"
	"regexp"
	"testing"
)

// TestPopupKnowsEveryAction fails when a prompt can offer an action the
// popup's view model (extension/lib/viewmodel.js, ACTION_ALIASES) does not
// map to one of its buttons.
func TestPopupKnowsEveryAction(t *testing.T) {
	b, err := os.ReadFile("../extension/lib/viewmodel.js")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)const ACTION_ALIASES = \{(.*?)\};`).FindSubmatch(b)
	if block == nil {
		t.Fatal("extension/lib/viewmodel.js has no ACTION_ALIASES table")
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*([a-z_]+):`).FindAllSubmatch(block[1], -1) {
		known[string(m[1])] = true
	}
	for _, a := range allActions() {
		// A new definition comes with the app: the popup has no button for
		// it and offers Verify instead.
		if a.ID == ActionUpdateConnector {
			continue
		}
		if !known[string(a.ID)] {
			t.Errorf("the popup has no button for the action %q (%s)", a.ID, a.Label)
		}
	}
}

// allActions returns every action a prompt can offer, the codes' and the
// details' own, each once.
func allActions() []Action {
	seen := map[ActionID]bool{}
	var out []Action
	add := func(a Action) {
		if !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	for _, r := range reasons {
		add(r.Action)
	}
	for _, a := range actionByDetail {
		add(a)
	}
	return out
}
