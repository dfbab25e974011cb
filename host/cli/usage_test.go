package cli

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/localclient"
	"github.com/authbridge/authbridge/host/paths"
)

// TestUsageMatchesFlags runs every command with --help and compares the
// usage line of the command table with the flag set the command really
// parses, so the two cannot drift apart.
func TestUsageMatchesFlags(t *testing.T) {
	home := t.TempDir()
	getenv := paths.WithHome(home, func(string) string { return "" })
	p, err := paths.Resolve(getenv)
	if err != nil {
		t.Fatal(err)
	}
	flagRE := regexp.MustCompile(`--([a-z][a-z0-9-]*)`)
	for _, name := range commandNames() {
		t.Run(name, func(t *testing.T) {
			c := commands[name]
			if sm := summaries[name]; sm == "" || strings.Contains(sm, "\n") {
				t.Errorf("%s: summary %q, want one line in summaries", name, sm)
			}
			if !strings.HasPrefix(c.usage, name) {
				t.Errorf("%s: usage %q does not start with the command's name", name, c.usage)
			}
			var out, errb bytes.Buffer
			// A client that reaches nothing: --help must answer before any request.
			e := &env{paths: p, stdout: &out, stderr: &errb, getenv: getenv, client: &localclient.Client{Socket: filepath.Join(home, "none.sock")}}
			if code := c.run(context.Background(), e, []string{"--help"}); code != ExitOK || errb.Len() != 0 {
				t.Fatalf("%s --help = %d, stderr %q; want 0 and nothing on stderr", name, code, errb.String())
			}
			if e.flags == nil {
				t.Fatalf("%s parses no flag set (newFlags)", name)
			}
			var have []string
			e.flags.VisitAll(func(f *flag.Flag) { have = append(have, f.Name) })
			sort.Strings(have)
			var inUsage []string
			for _, m := range flagRE.FindAllStringSubmatch(c.usage, -1) {
				if !slices.Contains(inUsage, m[1]) {
					inUsage = append(inUsage, m[1])
				}
			}
			sort.Strings(inUsage)
			if !slices.Equal(have, inUsage) {
				t.Errorf("%s: flags %q, usage line names %q (%q)", name, have, inUsage, c.usage)
			}
			help := out.String()
			if !strings.HasPrefix(help, "usage: authbridge "+c.usage+"\n") {
				t.Errorf("%s --help starts %q", name, firstLine(help))
			}
			for _, f := range have {
				if !strings.Contains(help, "  --"+f) {
					t.Errorf("%s --help does not describe --%s:\n%s", name, f, help)
				}
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestCommandLineConventions(t *testing.T) {
	getenv := paths.WithHome(t.TempDir(), func(string) string { return "" })
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring; "" for empty
		stderr   string // substring; "" for empty
		oneLine  bool   // stderr is one line
		noStdout bool
	}{
		{"--version", []string{"--version"}, ExitOK, "authbridge " + Version, "", false, false},
		{"version", []string{"version"}, ExitOK, "authbridge " + Version, "", false, false},
		{"help", []string{"help"}, ExitOK, "cookies ", "", false, false},
		{"--help", []string{"--help"}, ExitOK, "exit status:", "", false, false},
		{"help cookies", []string{"help", "cookies"}, ExitOK, "--format", "", false, false},
		{"cookies --help", []string{"cookies", "--help"}, ExitOK, "usage: authbridge cookies CONNECTOR", "", false, false},
		{"cookies -h", []string{"cookies", "-h"}, ExitOK, "--out FILE", "", false, false},
		{"no command", nil, ExitUsage, "", "usage: authbridge COMMAND", false, true},
		{"unknown command", []string{"cookie"}, ExitUsage, "", "did you mean cookies?", true, true},
		{"help unknown", []string{"help", "stauts"}, ExitUsage, "", "did you mean status?", true, true},
		{"unknown flag", []string{"status", "--jsn"}, ExitUsage, "", "flag provided but not defined: -jsn", true, true},
		{"bad format", []string{"cookies", "demo", "--format", "json"}, ExitUsage, "", `unknown cookie format "json"`, true, true},
		{"header without url", []string{"cookies", "demo", "--format", "header"}, ExitUsage, "", "needs --url", true, true},
		{"no connector", []string{"verify"}, ExitUsage, "", "needs one CONNECTOR", true, true},
		{"two connectors", []string{"clear", "a", "b"}, ExitUsage, "", "got 2 arguments", true, true},
		{"bad duration", []string{"serve", "--idle-exit", "soon"}, ExitUsage, "", "invalid value", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, getenv, "", tt.args...)
			if code != tt.code {
				t.Errorf("authbridge %v = %d, want %d (stderr %q)", tt.args, code, tt.code, errs)
			}
			if tt.stdout != "" && !strings.Contains(out, tt.stdout) {
				t.Errorf("authbridge %v stdout lacks %q:\n%s", tt.args, tt.stdout, out)
			}
			if tt.noStdout && out != "" {
				t.Errorf("authbridge %v printed on stdout: %q", tt.args, out)
			}
			if tt.stderr == "" && errs != "" {
				t.Errorf("authbridge %v printed on stderr: %q", tt.args, errs)
			}
			if tt.stderr != "" && !strings.Contains(errs, tt.stderr) {
				t.Errorf("authbridge %v stderr lacks %q: %q", tt.args, tt.stderr, errs)
			}
			if tt.oneLine && strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 {
				t.Errorf("authbridge %v stderr is not one line: %q", tt.args, errs)
			}
		})
	}
}

func TestHelpCommandIsCommandHelp(t *testing.T) {
	getenv := paths.WithHome(t.TempDir(), func(string) string { return "" })
	for _, name := range commandNames() {
		_, a, _ := runCLI(t, getenv, "", "help", name)
		_, b, _ := runCLI(t, getenv, "", name, "--help")
		if name != "help" && a != b {
			t.Errorf("help %s and %s --help differ:\n%s\n---\n%s", name, name, a, b)
		}
	}
}

func TestNearest(t *testing.T) {
	known := []string{"amazon", "github", "google", "instagram", "linkedin", "linkedin-playwright", "spotify", "demo"}
	tests := []struct {
		in   string
		want []string
	}{
		{"githb", []string{"github"}},
		{"linkedn", []string{"linkedin"}},
		{"linkedin-playwrigt", []string{"linkedin-playwright"}},
		{"Spotify", []string{"spotify"}},
		{"insta", []string{"instagram"}},
		{"zzzzzz", nil},
		{"demi", []string{"demo"}},
	}
	for _, tt := range tests {
		if got := nearest(tt.in, known, 3); !slices.Equal(got, tt.want) {
			t.Errorf("nearest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPrintsOnly checks which command lines run without the signal watch:
// only what prints and stops (no command, help, version); every other
// command, the relay and unknown words keep it.
func TestPrintsOnly(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"authbridge"}, true},
		{[]string{"authbridge", "help"}, true},
		{[]string{"authbridge", "help", "cookies"}, true},
		{[]string{"authbridge", "--help"}, true},
		{[]string{"authbridge", "-h"}, true},
		{[]string{"authbridge", "version"}, true},
		{[]string{"authbridge", "--version"}, true},
		{[]string{"authbridge", "serve"}, false},
		{[]string{"authbridge", "cookies", "--help"}, false},
		{[]string{"authbridge", "demo"}, false},
		{[]string{"authbridge", "chrome-extension://" + ExtensionID + "/"}, false},
		{[]string{"authbridge", "helpme"}, false},
	} {
		if got := printsOnly(tc.args); got != tc.want {
			t.Errorf("printsOnly(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
