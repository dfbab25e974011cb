// Command pkg writes the Linux .deb and .rpm of a built authbridge binary
// with nFPM (as a library). It is its own module so that release tooling
// stays out of the product module's dependencies; make release runs it.
//
//	go run . -bin DIR/authbridge -version V -arch amd64 -out DIR
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

func main() {
	bin := flag.String("bin", "", "the linux authbridge binary")
	version := flag.String("version", "0.0.0", "package version")
	arch := flag.String("arch", "amd64", "GOARCH of the binary")
	out := flag.String("out", ".", "output directory")
	doc := flag.String("doc", "", "files to install under /usr/share/doc/authbridge, comma-separated")
	flag.Parse()
	if err := run(*bin, *version, *arch, *out, *doc); err != nil {
		fmt.Fprintln(os.Stderr, "pkg:", err)
		os.Exit(1)
	}
}

func run(bin, version, arch, out, doc string) error {
	if bin == "" {
		return fmt.Errorf("-bin is required")
	}
	contents := files.Contents{
		{Source: bin, Destination: "/usr/bin/authbridge", FileInfo: &files.ContentFileInfo{Mode: 0o755}},
	}
	for _, d := range strings.Split(doc, ",") {
		if d != "" {
			contents = append(contents, &files.Content{Source: d, Destination: "/usr/share/doc/authbridge/" + filepath.Base(d), FileInfo: &files.ContentFileInfo{Mode: 0o644}})
		}
	}
	// Versions from git describe (4bee4cb-dirty) are not package versions.
	v := strings.TrimPrefix(version, "v")
	if v == "" || v[0] < '0' || v[0] > '9' {
		v = "0.0.0~" + strings.ReplaceAll(v, "-", ".")
	}
	info := nfpm.WithDefaults(&nfpm.Info{
		Name:        "authbridge",
		Arch:        arch,
		Platform:    "linux",
		Version:     v,
		Maintainer:  "authbridge <authbridge@authbridge.dev>",
		Description: "Native-messaging host and local agent that keeps data-export connectors signed in with the browser's live cookies.",
		Homepage:    "https://authbridge.dev",
		License:     "Apache-2.0",
		Overridables: nfpm.Overridables{
			Contents: contents,
		},
	})
	for _, format := range []string{"deb", "rpm"} {
		p, err := nfpm.Get(format)
		if err != nil {
			return err
		}
		i := *info
		i.Target = ""
		name := p.ConventionalFileName(&i)
		f, err := os.Create(filepath.Join(out, name))
		if err != nil {
			return err
		}
		if err := p.Package(nfpm.WithDefaults(&i), f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", format, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Println(filepath.Join(out, name))
	}
	return nil
}
