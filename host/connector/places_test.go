package connector

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/authbridge/authbridge/internal/testtmp"
)

// writeTree writes files at slash-separated paths under a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := testtmp.Dir(t)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const shopOnAmazon = `{"connector_id": "shop-playwright", "connect_url": "https://www.amazon.com/ap/signin",
	"consumer_metadata": {"display_name": "Shop", "brand_domain": "shop.example"}}`

func TestLoadPlaces(t *testing.T) {
	own := writeTree(t, map[string]string{
		"gh.json": `{"connector_id": "github-playwright", "connect_url": "https://github.com/login"}`,
	})
	app1 := writeTree(t, map[string]string{
		"connectors/linkedin/linkedin-playwright.json":             `{"connector_id": "linkedin-playwright", "connect_url": "https://www.linkedin.com/login"}`,
		"connectors/shop/shop-playwright.json":                     shopOnAmazon,
		"connectors/shop/package.json":                             `{"name": "not a manifest"}`,
		"connectors/.hidden/x-playwright.json":                     `{"connector_id": "hidden", "connect_url": "https://x.com/"}`,
		"connectors/a/b/c/d/e/deep-playwright.json":                `{"connector_id": "deep", "connect_url": "https://x.com/"}`,
		"browser-profiles/linkedin-playwright/Default/Preferences": `{}`,
	})
	app2 := writeTree(t, map[string]string{
		"connectors/linkedin/linkedin-playwright.json":           `{"connector_id": "linkedin-playwright", "connect_url": "https://www.linkedin.com/login"}`,
		"connectors/github/github-playwright.json":               `{"connector_id": "github-playwright", "connect_url": "https://github.com/login"}`,
		"browser-profiles/github-playwright/Default/Preferences": `{}`,
	})
	place := func(home string) Place {
		return Place{Dir: filepath.Join(home, "connectors"), Recursive: true, Profiles: filepath.Join(home, "browser-profiles")}
	}
	s, err := LoadPlaces(Place{Dir: own}, place(app1), place(app2))
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Problems(); len(p) != 0 {
		t.Fatalf("Problems() = %v, want none", p)
	}
	tests := []struct {
		id, source, inherits, profile string
		shadows                       []string
		authCookie                    string
	}{
		{"linkedin-playwright", filepath.Join(app1, "connectors/linkedin/linkedin-playwright.json"), "linkedin",
			filepath.Join(app1, "browser-profiles/linkedin-playwright"),
			[]string{filepath.Join(app2, "connectors/linkedin/linkedin-playwright.json")}, "li_at"},
		{"github-playwright", filepath.Join(own, "gh.json"), "github", "",
			[]string{filepath.Join(app2, "connectors/github/github-playwright.json")}, "user_session"},
		{"shop-playwright", filepath.Join(app1, "connectors/shop/shop-playwright.json"), "amazon", "", nil, "at-main"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			d, ok := s.Get(tt.id)
			if !ok {
				t.Fatalf("%s not loaded; have %v", tt.id, ids(s.All()))
			}
			if d.Source != tt.source {
				t.Errorf("Source = %q, want %q", d.Source, tt.source)
			}
			if d.InheritsFrom != tt.inherits {
				t.Errorf("InheritsFrom = %q, want %q", d.InheritsFrom, tt.inherits)
			}
			var profile string
			if d.Session != nil {
				profile = d.Session.ProfileDir
			}
			if profile != tt.profile || d.ProfileFromApp != (tt.profile != "") {
				t.Errorf("profile = %q (from app %v), want %q", profile, d.ProfileFromApp, tt.profile)
			}
			if !slices.Equal(d.Shadows, tt.shadows) {
				t.Errorf("Shadows = %q, want %q", d.Shadows, tt.shadows)
			}
			if !slices.Contains(d.AuthCookies, tt.authCookie) {
				t.Errorf("AuthCookies = %q, want %q among them", d.AuthCookies, tt.authCookie)
			}
		})
	}
	for _, id := range []string{"hidden", "deep", "not a manifest"} {
		if _, ok := s.Get(id); ok {
			t.Errorf("%s was loaded; dot folders, folders deeper than %d and non-manifest JSON are skipped", id, maxDepth)
		}
	}
	shop, _ := s.Get("shop-playwright")
	if !slices.Contains(shop.Domains, "amazon.com") || !slices.Contains(shop.Domains, "shop.example") {
		t.Errorf("shop domains = %q, want amazon.com and shop.example", shop.Domains)
	}
}

func TestLoadPlacesSamePlaceDuplicate(t *testing.T) {
	app := writeTree(t, map[string]string{
		"a/one-playwright.json": `{"connector_id": "dup", "connect_url": "https://a.example/"}`,
		"b/two-playwright.json": `{"connector_id": "dup", "connect_url": "https://b.example/"}`,
	})
	s, _ := LoadPlaces(Place{Dir: app, Recursive: true})
	if p := s.Problems(); len(p) != 1 {
		t.Fatalf("Problems() = %v, want one duplicate", p)
	}
}

func TestSubFolders(t *testing.T) {
	dir := writeTree(t, map[string]string{"a/b/f.json": "{}", ".git/x": ""})
	got := SubFolders(dir)
	want := []string{dir, filepath.Join(dir, "a"), filepath.Join(dir, "a", "b")}
	if !slices.Equal(got, want) {
		t.Errorf("SubFolders = %q, want %q", got, want)
	}
	if got := SubFolders(filepath.Join(dir, "missing")); got != nil {
		t.Errorf("SubFolders(missing) = %q, want nil", got)
	}
}

// TestInheritConnectURLFirst: the site a manifest signs in on decides, then
// its brand.
func TestInheritConnectURLFirst(t *testing.T) {
	tests := []struct{ name, manifest, want string }{
		{"sign-in elsewhere than the brand", `{"connector_id": "a", "connect_url": "https://www.amazon.com/ap/signin", "consumer_metadata": {"brand_domain": "github.com"}}`, "amazon"},
		{"brand alone matches", `{"connector_id": "b", "connect_url": "https://shop.example/login", "consumer_metadata": {"brand_domain": "linkedin.com"}}`, "linkedin"},
		{"nothing matches", `{"connector_id": "c", "connect_url": "https://shop.example/login", "consumer_metadata": {"brand_domain": "shop.example"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.manifest), "/m.json")
			if err != nil {
				t.Fatal(err)
			}
			if d.InheritsFrom != tt.want {
				t.Errorf("InheritsFrom = %q, want %q", d.InheritsFrom, tt.want)
			}
		})
	}
}
