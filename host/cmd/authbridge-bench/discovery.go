package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/authbridge/authbridge/host/localclient"
)

var discoveryRuns = 20

// measureDiscovery copies manifests into new company subfolders of a
// data-export app home while the agent runs, and times how long until the
// local API lists each one (target: within 1 s).
func measureDiscovery(ctx context.Context) ([]row, error) {
	fmt.Printf("Installing %d app manifests into new company subfolders while the agent runs...\n", discoveryRuns)
	bin, err := filepath.Abs(*binFlag)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "abdisc")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	home, app, user := filepath.Join(dir, "ab"), filepath.Join(dir, "app"), filepath.Join(dir, "user")
	for _, d := range []string{home, filepath.Join(app, "connectors"), user} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	env := append(os.Environ(), "AUTHBRIDGE_HOME="+home, "AUTHBRIDGE_APP_HOMES="+app, "HOME="+user)
	cmd := exec.CommandContext(ctx, bin, "status")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("start the agent: %v: %s", err, out)
	}
	c := &localclient.Client{Socket: filepath.Join(home, "run", "api.sock")}
	defer c.StopAgent(ctx)
	var ds []time.Duration
	for i := range discoveryRuns {
		id := fmt.Sprintf("co%d-playwright", i)
		manifest := fmt.Sprintf(`{"connector_id": %q, "connect_url": "https://www.linkedin.com/login"}`, id)
		sub := filepath.Join(app, "connectors", fmt.Sprintf("co%d", i))
		start := time.Now()
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(sub, id+".json"), []byte(manifest), 0o600); err != nil {
			return nil, err
		}
		for listed := false; !listed; {
			if time.Since(start) > 10*time.Second {
				return nil, fmt.Errorf("%s not listed after 10 s", id)
			}
			ans, err := c.Connectors(ctx)
			if err != nil {
				return nil, err
			}
			for _, d := range ans.Connectors {
				listed = listed || d.ID == id
			}
			if !listed {
				time.Sleep(5 * time.Millisecond)
			}
		}
		ds = append(ds, time.Since(start))
	}
	s := summarize(ds)
	return []row{{"app manifest installed -> listed (new subfolder)", ms(s.median), ms(s.p99), "< 1 s", verdict(s.p99, time.Second)}}, nil
}
