package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/authbridge/authbridge/host/agent"
	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/catalog"
	"github.com/authbridge/authbridge/host/chromeprofile"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/localclient"
	"github.com/authbridge/authbridge/host/metrics"
	"github.com/authbridge/authbridge/host/paths"
	"github.com/authbridge/authbridge/host/relay"
	"github.com/authbridge/authbridge/host/store"
)

func cmdServe(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "serve")
	foreground := fs.Bool("foreground", false, "run in this process (for systemd, launchd or a terminal) instead of in the background")
	idle := fs.Duration("idle-exit", 0, "exit after this `DURATION` with no browser connected and no request (0: never)")
	readyFD := fs.Int("ready-fd", 0, "write \"ready\" to this file descriptor `FD` once listening (used when started on demand)")
	if _, err := parse(fs, args); err != nil {
		return e.flagErr(err)
	}
	if !*foreground {
		idleExit := *idle
		if idleExit == 0 {
			idleExit = defaultIdleExit
		}
		if err := localclient.StartAgent(ctx, e.paths, "", idleExit); err != nil {
			fmt.Fprintln(e.stderr, "authbridge:", err)
			return ExitError
		}
		fmt.Fprintln(e.stdout, "authbridge agent running; API socket:", e.paths.APISocket)
		return ExitOK
	}
	// fail reports a start-up failure on stderr and, when started on
	// demand, on the ready descriptor, so the CLI or relay that started this
	// agent shows the reason instead of an end of file.
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "authbridge:", err)
		if *readyFD > 0 {
			// An unusable database stays so until the user acts: say so,
			// and the relay will not start agents again at once.
			prefix := localclient.ReadyErrorPrefix
			var ue *store.UnusableError
			if errors.As(err, &ue) {
				prefix = localclient.ReadyRefusedPrefix
			}
			if f := os.NewFile(uintptr(*readyFD), "ready"); f != nil {
				fmt.Fprintf(f, "%s%s\n", prefix, strings.ReplaceAll(err.Error(), "\n", " "))
				f.Close()
			}
		}
		return ExitError
	}
	if err := e.paths.EnsureDirs(); err != nil {
		return fail(err)
	}
	lock, ok, err := localclient.TryLock(e.paths.LockFile)
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge: agent lock:", err)
		return ExitError
	}
	if !ok {
		fmt.Fprintln(e.stderr, "authbridge: another agent is already running for", e.paths.Home)
		return ExitError
	}
	defer lock.Close()
	var also io.Writer
	if *readyFD == 0 {
		also = e.stderr
	}
	log, closeLog, err := openLog(e.paths, "agent.log", also)
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge: open log:", err)
		return ExitError
	}
	defer closeLog()
	rec, err := metrics.OpenRecorder(ctx, e.paths.EventsDB, log)
	if err != nil {
		log.Error("agent failed to start", "err", err)
		return fail(err)
	}
	defer rec.Close()
	cfg := agent.Config{
		Paths: e.paths, Version: Version, IdleExit: *idle, Log: log,
		ExtraRoutes: metrics.Routes(rec), OnOutcome: rec.OnOutcome,
		AllowedOrigins: allowedOrigins(e.paths),
		LoadConnectors: connectorLoader(e.paths),
		NoAutoRepair:   isOff(e.getenv("AUTHBRIDGE_AUTO_REPAIR")),
		NoLiveEvents:   isOff(e.getenv("AUTHBRIDGE_LIVE_EVENTS")),
		NoDiskEvents:   isOff(e.getenv("AUTHBRIDGE_DISK_EVENTS")),
		Profiles:       &profiles{getenv: e.getenv, log: log},
		// AUTHBRIDGE_SIGNIN_HEADLESS=1 runs the in-connector sign-in window
		// headless, for tests on a machine without a display.
		ProfileWriter: &chromeprofile.ProfileWriter{SignInHeadless: isOn(e.getenv("AUTHBRIDGE_SIGNIN_HEADLESS"))},
	}
	if v := e.getenv("AUTHBRIDGE_VERIFY_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			fmt.Fprintf(e.stderr, "authbridge: AUTHBRIDGE_VERIFY_TIMEOUT=%q is not a positive duration such as 10s\n", v)
			return ExitUsage
		}
		cfg.VerifyTimeout = d
	}
	if *readyFD > 0 {
		fd := *readyFD
		cfg.Ready = func() {
			f := os.NewFile(uintptr(fd), "ready")
			if f != nil {
				f.WriteString("ready\n")
				f.Close()
			}
		}
	}
	a, err := agent.New(ctx, cfg)
	if err != nil {
		log.Error("agent failed to start", "err", err)
		return fail(err)
	}
	if err := a.Run(ctx); err != nil {
		log.Error("agent failed", "err", err)
		fmt.Fprintln(e.stderr, "authbridge:", err)
		return ExitError
	}
	return ExitOK
}

// connectorLoader loads the built-in definitions, the files in the
// connectors directory and the data-export app's manifests (catalog.Places).
func connectorLoader(p paths.Paths) func() ([]connector.Definition, []apitype.Problem) {
	return func() ([]connector.Definition, []apitype.Problem) {
		set, _ := connector.LoadPlaces(catalog.Places(p)...)
		var probs []apitype.Problem
		for _, err := range set.Problems() {
			var fe *connector.FileError
			if errors.As(err, &fe) {
				probs = append(probs, apitype.Problem{File: fe.Path, Message: strings.TrimSpace(fe.Error())})
			} else {
				probs = append(probs, apitype.Problem{Message: err.Error()})
			}
		}
		return set.All(), probs
	}
}

// runRelay is what Chrome starts: argv[1] is the extension's origin.
func runRelay(ctx context.Context, e *env, origin string) int {
	if err := e.paths.EnsureDirs(); err != nil {
		fmt.Fprintln(e.stderr, "authbridge relay:", err)
		return ExitError
	}
	log, closeLog, err := openLog(e.paths, "relay.log", nil)
	if err != nil {
		fmt.Fprintln(e.stderr, "authbridge relay: open log:", err)
		return ExitError
	}
	defer closeLog()
	start := time.Now()
	log.Info("relay started", "origin", origin, "pid", os.Getpid())
	err = relay.Run(ctx, relay.Config{
		Origin: origin, Allowed: allowedOrigins(e.paths), BridgeSocket: e.paths.BridgeSocket, Log: log,
		StartAgent: func(ctx context.Context) error {
			return localclient.StartAgent(ctx, e.paths, "", defaultIdleExit)
		},
	}, e.stdin, e.stdout)
	if err != nil {
		log.Error("relay ended", "err", err, "after", time.Since(start))
		fmt.Fprintln(e.stderr, "authbridge relay:", err)
		return ExitError
	}
	log.Info("relay ended", "after", time.Since(start))
	return ExitOK
}

// isOff reads a switch from the environment: "0", "off", "false" or "no".
func isOff(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "0", "off", "false", "no":
		return true
	}
	return false
}

// isOn reports whether an environment switch is set on ("1", "on", "true",
// "yes").
func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "on", "true", "yes":
		return true
	}
	return false
}
