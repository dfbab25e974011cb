package wine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"

	"github.com/authbridge/authbridge/host/localclient"
	"github.com/authbridge/authbridge/host/nativemsg"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/internal/testtmp"
	"github.com/authbridge/authbridge/manifest"
)

// deadline bounds each wait of the test: generous, Wine starts slowly.
const deadline = 120 * time.Second

// run runs authbridge.exe with args and the test's environment.
func run(t *testing.T, exe string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("authbridge %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	if code != 0 {
		t.Logf("authbridge %s: exit %d, stderr: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), code
}

func TestWindowsEndToEnd(t *testing.T) {
	src := os.Getenv("AUTHBRIDGE_EXE")
	if src == "" {
		t.Fatal("AUTHBRIDGE_EXE is not set: make test-windows builds authbridge.exe and sets it")
	}
	root := testtmp.Dir(t)
	home := filepath.Join(root, "home")
	local := filepath.Join(root, "AppData", "Local")
	roaming := filepath.Join(root, "AppData", "Roaming")
	// The browsers' user data folders make them "installed" for doctor.
	for _, d := range []string{
		filepath.Join(local, "Google", "Chrome", "User Data", "Default"),
		filepath.Join(local, "Microsoft", "Edge", "User Data", "Default"),
		filepath.Join(roaming, "Mozilla", "Firefox", "Profiles"),
	} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(root, "bin", "authbridge.exe")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(exe), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o700); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "AUTHBRIDGE_HOME="+home, "LOCALAPPDATA="+local, "APPDATA="+roaming, "USERPROFILE="+root)

	// install: manifests beside the binary, HKCU keys pointing at them.
	out, code := run(t, exe, env, "install", "--browser", "chrome", "--browser", "edge", "--browser", "firefox", "--json")
	if code != 0 {
		t.Fatalf("install exit %d: %s", code, out)
	}
	t.Cleanup(func() {
		run(t, exe, env, "uninstall", "--browser", "chrome", "--browser", "edge", "--browser", "firefox")
	})
	for _, k := range []struct{ browser, key string }{
		{"chrome", `Software\Google\Chrome\NativeMessagingHosts\com.authbridge.host`},
		{"edge", `Software\Microsoft\Edge\NativeMessagingHosts\com.authbridge.host`},
		{"firefox", `Software\Mozilla\NativeMessagingHosts\com.authbridge.host`},
	} {
		rk, err := registry.OpenKey(registry.CURRENT_USER, k.key, registry.QUERY_VALUE)
		if err != nil {
			t.Errorf("%s: HKCU\\%s: %v", k.browser, k.key, err)
			continue
		}
		file, _, err := rk.GetStringValue("")
		rk.Close()
		if err != nil {
			t.Errorf("%s: default value of HKCU\\%s: %v", k.browser, k.key, err)
			continue
		}
		var m manifest.Manifest
		mb, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(mb, &m)
		}
		if err != nil {
			t.Errorf("%s: manifest %s: %v", k.browser, file, err)
			continue
		}
		if m.Name != "com.authbridge.host" || !strings.EqualFold(m.Path, exe) {
			t.Errorf("%s: manifest %s = name %q path %q, want com.authbridge.host and %s", k.browser, file, m.Name, m.Path, exe)
		}
	}

	// serve on the named pipes.
	p, err := paths.Resolve(paths.WithHome(home, os.Getenv))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.APISocket, `\\.\pipe\authbridge-`) {
		t.Fatalf("API socket %q is not a named pipe", p.APISocket)
	}
	serve := exec.Command(exe, "serve", "--foreground")
	serve.Env = env
	var serveLog bytes.Buffer
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serve.Wait() }()
	t.Cleanup(func() {
		serve.Process.Kill()
		<-served
		if t.Failed() {
			t.Logf("serve output:\n%s", serveLog.String())
		}
	})
	client := &localclient.Client{Socket: p.APISocket}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	for {
		if _, err := client.Status(ctx, false); err == nil {
			break
		} else if ctx.Err() != nil {
			t.Fatalf("the agent did not answer on %s within %v: %v", p.APISocket, deadline, err)
		}
		select {
		case err := <-served:
			t.Fatalf("serve exited: %v\n%s", err, serveLog.String())
		case <-time.After(100 * time.Millisecond):
		}
	}

	// status through the CLI.
	out, code = run(t, exe, env, "status", "--json")
	if code != 0 {
		t.Fatalf("status exit %d: %s", code, out)
	}
	var st struct {
		Agent struct {
			PID    int    `json:"pid"`
			Socket string `json:"socket"`
		} `json:"agent"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v: %s", err, out)
	}
	if st.Agent.Socket != p.APISocket || st.Agent.PID != serve.Process.Pid {
		t.Errorf("status agent = %+v, want socket %s pid %d", st.Agent, p.APISocket, serve.Process.Pid)
	}

	// doctor reads the registrations back.
	out, _ = run(t, exe, env, "doctor", "--json")
	var doc struct {
		Browsers []struct {
			Browser  string `json:"browser"`
			Findings []struct {
				Check, Status, Message string
			} `json:"findings"`
		} `json:"browsers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("doctor --json: %v: %s", err, out)
	}
	seen := map[string]bool{}
	for _, br := range doc.Browsers {
		for _, f := range br.Findings {
			if f.Check == "manifest" {
				seen[br.Browser] = true
				if f.Status != "ok" {
					t.Errorf("doctor: %s manifest: %s %s", br.Browser, f.Status, f.Message)
				}
			}
		}
	}
	for _, want := range []string{"chrome", "edge", "firefox"} {
		if !seen[want] {
			t.Errorf("doctor did not check %s's manifest: %s", want, out)
		}
	}

	// The relay as Chrome starts it, with a fake extension on its stdio.
	relay := exec.Command(exe, "chrome-extension://"+manifest.ExtensionID+"/")
	relay.Env = env
	stdin, err := relay.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := relay.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Start(); err != nil {
		t.Fatal(err)
	}
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Wait() }()
	w := nativemsg.NewWriter(stdin, 0)
	rd := nativemsg.NewReader(stdout, 1<<20)
	for _, frame := range []string{
		`{"id":"e1","type":"hello","extension_id":"` + manifest.ExtensionID + `","version":"0.0.0-wine","user_agent":"wine-test"}`,
		`{"id":"e2","type":"api","method":"GET","path":"/v1/status"}`,
	} {
		if err := w.WriteFrame([]byte(frame)); err != nil {
			t.Fatal(err)
		}
		var id string
		if err := json.Unmarshal([]byte(frame), &struct{ ID *string }{&id}); err != nil {
			t.Fatal(err)
		}
		reply := readReply(t, rd, id)
		if reply.Type == "error" {
			t.Errorf("relay answered %s with an error: %s", frame, reply.Raw)
		}
	}
	stdin.Close()
	select {
	case <-relayDone:
	case <-time.After(deadline):
		relay.Process.Kill()
		t.Error("the relay did not exit after its stdin closed")
	}

	// The agent recorded the extension's connection: the Go client sees it.
	sctx, scancel := context.WithTimeout(context.Background(), deadline)
	defer scancel()
	s, err := client.Status(sctx, false)
	if err != nil {
		t.Fatalf("Go client status over %s: %v", p.APISocket, err)
	}
	sb, _ := json.Marshal(s)
	if !strings.Contains(string(sb), "0.0.0-wine") {
		t.Logf("status after the fake extension's hello (informational): %s", sb)
	}
}

type reply struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Raw  string `json:"-"`
}

// readReply reads frames until the one answering id (pushes in between are
// skipped), within the deadline.
func readReply(t *testing.T, rd *nativemsg.Reader, id string) reply {
	t.Helper()
	got := make(chan reply, 1)
	go func() {
		for {
			b, err := rd.ReadFrame()
			if err != nil {
				if err != io.EOF {
					t.Logf("relay output: %v", err)
				}
				close(got)
				return
			}
			var r reply
			if json.Unmarshal(b, &r) == nil && r.ID == id {
				r.Raw = string(b)
				got <- r
				return
			}
		}
	}()
	select {
	case r, ok := <-got:
		if !ok {
			t.Fatalf("the relay closed its output before answering %s", id)
		}
		return r
	case <-time.After(deadline):
		t.Fatalf("no answer to %s within %v", id, deadline)
	}
	return reply{}
}
