package session

import (
	"context"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/store"
	"github.com/authbridge/authbridge/host/verify"
	"github.com/authbridge/authbridge/taxonomy"
)

// firefoxBrowser is a fake browser that says it is Firefox.
type firefoxBrowser struct{ *fakeBrowser }

func (firefoxBrowser) BrowserName(connector.Definition) string { return "Firefox" }

func missingVerifier(ctx context.Context, def connector.Definition, cs []apitype.Cookie, opts verify.Options) (verify.Report, error) {
	return verify.Report{Result: taxonomy.NewResult(taxonomy.ProfileCookieMissing, taxonomy.DetailCookieAbsent, 0, []string{"sid"}, def.Name)}, nil
}

// TestPromptNamesTheBrowser: with Firefox serving the connector, the
// repair action's label says Firefox, in rows and in action results; with
// a Chromium-based browser it keeps the host's "Chrome".
func TestPromptNamesTheBrowser(t *testing.T) {
	tests := []struct {
		name    string
		firefox bool
		want    string
	}{
		{"firefox", true, "Use your Firefox sign-in"},
		{"chromium", false, "Use your Chrome sign-in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBrowser{}
			r := newRig(t, func(c *Config) {
				c.Browser = fb
				if tt.firefox {
					c.Browser = firefoxBrowser{fb}
				}
				c.Verify = missingVerifier
			})
			ctx := context.Background()
			r.store.PutHealth(ctx, store.Health{ConnectorID: "demo", Health: string(taxonomy.NeedsAttention), Reason: string(taxonomy.ProfileCookieMissing), Detail: taxonomy.DetailCookieAbsent})
			if got := r.row(t).Prompt.Action; got.ID != taxonomy.ActionRepair || got.Label != tt.want {
				t.Errorf("row action = %+v, want %q", got, tt.want)
			}
			res, err := r.m.Verify(ctx, demo, "")
			if err != nil {
				t.Fatal(err)
			}
			if a := res.Result.Prompt.Action; a.ID != taxonomy.ActionRepair || a.Label != tt.want {
				t.Errorf("result action = %+v, want %q", a, tt.want)
			}
			// Other actions keep their labels.
			r.store.PutHealth(ctx, store.Health{ConnectorID: "demo", Health: string(taxonomy.NeedsAttention), Reason: string(taxonomy.SessionExpired), Detail: taxonomy.DetailLoginRedirect})
			if got := r.row(t).Prompt.Action.Label; got != "Sign in again" {
				t.Errorf("interactive label = %q", got)
			}
		})
	}
}
