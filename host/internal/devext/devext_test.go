package devext

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestCopyGrantsSitesAndKeepsKey(t *testing.T) {
	src := filepath.Join("..", "..", "..", "extension")
	dst := t.TempDir()
	if err := Copy(src, dst, []string{"*://*.demo.test/*"}); err != nil {
		t.Fatal(err)
	}
	read := func(dir string) map[string]any {
		b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	prod, dev := read(src), read(dst)
	if prod["host_permissions"] != nil {
		t.Errorf("the production manifest lists host_permissions %v, want none", prod["host_permissions"])
	}
	if dev["key"] != prod["key"] || dev["key"] == nil {
		t.Error("the development copy lost the manifest's key (its extension ID would change)")
	}
	hp, _ := dev["host_permissions"].([]any)
	if len(hp) != 1 || hp[0] != "*://*.demo.test/*" {
		t.Errorf("host_permissions = %v, want [*://*.demo.test/*]", dev["host_permissions"])
	}
	for _, f := range []string{"background.js", "popup.html", "lib/worker.js", "icons/icon16.png"} {
		if _, err := os.Stat(filepath.Join(dst, f)); err != nil {
			t.Errorf("the copy lacks %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "test")); err == nil {
		t.Error("the copy holds the extension's tests")
	}
}
