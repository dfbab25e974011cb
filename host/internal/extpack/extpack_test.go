package extpack

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var src = filepath.Join("..", "..", "..", "extension")

func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = b
	}
	return out
}

// TestStorePackages: the Chrome Web Store zip has no key (the store refuses
// it) and nothing that is not the extension; the folder keeps its key.
func TestStorePackages(t *testing.T) {
	dir := t.TempDir()
	for _, target := range []string{Chrome, Firefox} {
		out := filepath.Join(dir, target+".zip")
		if err := Build(src, out, target); err != nil {
			t.Fatal(err)
		}
		files := readZip(t, out)
		var m map[string]any
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatalf("%s: manifest.json: %v", target, err)
		}
		if _, ok := m["key"]; ok {
			t.Errorf("%s package: the manifest has a key", target)
		}
		if m["host_permissions"] != nil {
			t.Errorf("%s package lists host_permissions %v, want none (optional_host_permissions only)", target, m["host_permissions"])
		}
		for name := range files {
			if strings.HasPrefix(name, "test/") || strings.HasPrefix(name, "testkit/") || strings.HasPrefix(name, "tools/") || strings.HasPrefix(name, "docs/") || name == "package.json" {
				t.Errorf("%s package holds %s", target, name)
			}
		}
		for _, want := range []string{"background.js", "popup.html", "popup.js", "lib/worker.js", "icons/icon128.png"} {
			if files[want] == nil {
				t.Errorf("%s package lacks %s", target, want)
			}
		}
	}
	b, _ := os.ReadFile(filepath.Join(src, "manifest.json"))
	if !strings.Contains(string(b), `"key"`) {
		t.Error("the unpacked folder's manifest lost its key (its extension ID would change)")
	}
}

// TestFirefoxPackageLints runs Mozilla's web-ext lint (pinned in
// testdata/webext/package.json; `make deps` installs it) on the Firefox package.
func TestFirefoxPackageLints(t *testing.T) {
	bin := filepath.Join("testdata", "webext", "node_modules", ".bin", "web-ext")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and web-ext is not installed (make deps: npm ci in host/internal/extpack/testdata/webext): %v", err)
		}
		t.Skipf("web-ext is not installed (make deps); with CI set this test fails instead of skipping")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "firefox.zip")
	if err := Build(src, out, Firefox); err != nil {
		t.Fatal(err)
	}
	unpacked := filepath.Join(dir, "unpacked")
	for name, b := range readZip(t, out) {
		p := filepath.Join(unpacked, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "lint", "--source-dir", unpacked, "--output", "json", "--no-config-discovery")
	cmd.Env = append(os.Environ(), "WEB_EXT_NO_UPDATE_NOTIFIER=1", "NO_UPDATE_NOTIFIER=1")
	b, err := cmd.Output()
	var rep struct {
		Count  int `json:"count"`
		Errors []struct {
			Code, Message, File string
		} `json:"errors"`
		Warnings []struct {
			Code, Message, File string
		} `json:"warnings"`
	}
	if jerr := json.Unmarshal(b, &rep); jerr != nil {
		t.Fatalf("web-ext lint: %v (%v)\n%s", err, jerr, b)
	}
	for _, e := range rep.Errors {
		t.Errorf("web-ext lint error %s in %s: %s", e.Code, e.File, e.Message)
	}
	for _, w := range rep.Warnings {
		t.Logf("web-ext lint warning %s in %s: %s", w.Code, w.File, w.Message)
	}
	if err != nil && len(rep.Errors) == 0 {
		t.Errorf("web-ext lint exited with %v and no error listed:\n%s", err, b)
	}
}
