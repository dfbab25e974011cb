// Command authbridge-pack builds the extension's store packages: the Chrome
// Web Store zip (no `key`) and the Firefox package (`make extension-zip`).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/authbridge/authbridge/host/internal/extpack"
)

func main() {
	os.Exit(run())
}

func run() int {
	ext := flag.String("extension", "extension", "the unpacked extension folder")
	out := flag.String("out", "bin", "the folder the packages are written to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "authbridge-pack:", err)
		return 1
	}
	for _, p := range []struct{ target, name string }{
		{extpack.Chrome, "authbridge-extension.zip"},
		{extpack.Firefox, "authbridge-extension-firefox.zip"},
	} {
		path := filepath.Join(*out, p.name)
		if err := extpack.Build(*ext, path, p.target); err != nil {
			fmt.Fprintf(os.Stderr, "authbridge-pack: %s: %v\n", p.target, err)
			return 1
		}
		fmt.Println(path)
	}
	return 0
}
