package metrics

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/authbridge/authbridge/host/atomicfile"
	"github.com/authbridge/authbridge/host/chromium"
)

func storyReport() *Report {
	events, _ := storyLog()
	since := t0.Add(-time.Hour)
	return BuildReport(events, &since, t0.Add(time.Hour))
}

// externalRef finds anything that would make the page load a resource.
var externalRef = regexp.MustCompile(`(?i)(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:|//|file:)|url\(\s*["']?\s*(https?:|//)|@import|<script|<link|<iframe|<img`)

func TestHTMLSelfContained(t *testing.T) {
	page, err := HTML(storyReport())
	if err != nil {
		t.Fatal(err)
	}
	if m := externalRef.Find(page); m != nil {
		t.Errorf("the page refers to an external resource or script: %q", m)
	}
	s := string(page)
	for _, want := range []string{"<svg", "Runs without you (headless share)", "Why runs needed you to sign in", "P50 and P90",
		"shop", "mail", "MFA_OR_CHALLENGE_REQUIRED", "60.0%", "all connectors"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(s, "<svg "); n != 4 { // the pattern defs and three charts
		t.Errorf("%d svg elements, want 4", n)
	}
}

func TestHTMLEscapes(t *testing.T) {
	rep := storyReport()
	rep.Connectors[0].ConnectorID = `<script>alert(1)</script>`
	page, err := HTML(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page, []byte("<script>")) {
		t.Error("a connector id was not escaped")
	}
}

func TestHTMLEmpty(t *testing.T) {
	page, err := HTML(BuildReport(nil, nil, t0))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("No runs in this window.")) {
		t.Error("an empty report does not say there are no runs")
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, storyReport()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"shop", "60.0%", "40.0%", "50.0%", "5.0 s", "2.3 min", "all connectors", "66.7%",
		"shop: MFA_OR_CHALLENGE_REQUIRED 1, PROFILE_COOKIE_MISSING 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("text report lacks %q:\n%s", want, s)
		}
	}
}

// TestHTMLInChromium opens the page in headless Chromium and saves a
// screenshot (report.png) in the test's artifact directory.
func TestHTMLInChromium(t *testing.T) {
	if _, err := chromium.FindExecutable(); errors.Is(err, chromium.ErrNotFound) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("%v; with CI set this test fails instead", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	page, err := HTML(storyReport())
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b, err := chromium.Launch(ctx, chromium.Options{UserDataDir: filepath.Join(dir, "profile")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS("svg rect.headless"))); err != nil {
		t.Fatal(err)
	}
	bars, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg rect").length`))
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if bars < 8 {
		t.Errorf("%d bars drawn, want at least 8", bars)
	}
	out := filepath.Join(t.ArtifactDir(), "report.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(png))
}
