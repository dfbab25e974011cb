package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/host/atomicfile"
	"github.com/authbridge/authbridge/host/connector"
	"github.com/authbridge/authbridge/host/cookies"
)

// readStorageState reads the connector's cookies from its Playwright
// storage-state file, for verifying when no browser is connected.
func readStorageState(def connector.Definition) ([]apitype.Cookie, error) {
	if def.Session == nil || def.Session.StorageState == "" {
		return nil, errors.New("no storage state configured")
	}
	st, err := loadStorageState(def.Session.StorageState)
	if err != nil {
		return nil, err
	}
	var out []apitype.Cookie
	for _, pc := range st.Cookies {
		c := fromPlaywright(pc)
		if cookies.InScope(c.Domain, def.Domains) {
			out = append(out, c)
		}
	}
	return out, nil
}

func loadStorageState(path string) (cookies.StorageState, error) {
	var st cookies.StorageState
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cookies.StorageState{Cookies: []cookies.PlaywrightCookie{}, Origins: []cookies.StorageOrigin{}}, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s is not a Playwright storage state: %w", path, err)
	}
	return st, nil
}

// fromPlaywright turns a storage-state cookie back into the host's model.
func fromPlaywright(pc cookies.PlaywrightCookie) apitype.Cookie {
	c := apitype.Cookie{
		Name: pc.Name, Value: pc.Value, Domain: pc.Domain, Path: pc.Path,
		HostOnly: len(pc.Domain) > 0 && pc.Domain[0] != '.',
		Secure:   pc.Secure, HttpOnly: pc.HTTPOnly,
	}
	switch pc.SameSite {
	case "None":
		c.SameSite = "no_restriction"
	case "Strict":
		c.SameSite = "strict"
	default:
		c.SameSite = "lax"
	}
	if pc.Expires < 0 {
		c.Session = true
	} else {
		c.ExpirationDate = pc.Expires
	}
	if pc.PartitionKey != "" {
		c.PartitionKey = &apitype.PartitionKey{TopLevelSite: pc.PartitionKey, HasCrossSiteAncestor: pc.CrHasCrossSiteAncestor}
	}
	return c
}

// writeSession writes fresh cookies to the connector's own session state,
// replacing its stale cookies and keeping every other domain's.
func (m *Manager) writeSession(ctx context.Context, def connector.Definition, cs []apitype.Cookie) ([]string, error) {
	if def.Session == nil {
		return nil, nil
	}
	var written []string
	if p := def.Session.StorageState; p != "" {
		if err := mergeStorageState(p, def.Domains, cs); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	if d := def.Session.ProfileDir; d != "" && m.cfg.ProfileWriter != nil {
		if err := m.cfg.ProfileWriter.Replace(ctx, d, def.Domains, cs); err != nil {
			return written, fmt.Errorf("profile %s: %w", d, err)
		}
		written = append(written, d)
	}
	return written, nil
}

// clearSession removes the connector's cookies from its session state.
func (m *Manager) clearSession(ctx context.Context, def connector.Definition) ([]string, error) {
	if def.Session == nil {
		return nil, nil
	}
	var cleared []string
	if p := def.Session.StorageState; p != "" {
		if _, err := os.Stat(p); err == nil {
			if err := mergeStorageState(p, def.Domains, nil); err != nil {
				return cleared, err
			}
			cleared = append(cleared, p)
		}
	}
	if d := def.Session.ProfileDir; d != "" && m.cfg.ProfileWriter != nil {
		if _, err := os.Stat(d); err == nil {
			if err := m.cfg.ProfileWriter.Replace(ctx, d, def.Domains, nil); err != nil {
				return cleared, fmt.Errorf("profile %s: %w", d, err)
			}
			cleared = append(cleared, d)
		}
	}
	return cleared, nil
}

// ProfileWriter replaces a connector's cookies in a persistent browser
// profile (through the browser itself, so it encrypts the values).
type ProfileWriter interface {
	Replace(ctx context.Context, profileDir string, domains []string, cs []apitype.Cookie) error
}

// mergeStorageState rewrites a storage-state file (0600, atomically) with
// the connector's cookies replaced by cs; other cookies and origins stay.
func mergeStorageState(path string, domains []string, cs []apitype.Cookie) error {
	st, err := loadStorageState(path)
	if err != nil {
		return err
	}
	kept := st.Cookies[:0]
	for _, pc := range st.Cookies {
		if !cookies.InScope(pc.Domain, domains) {
			kept = append(kept, pc)
		}
	}
	fresh, err := cookies.ToPlaywright(cs)
	if err != nil {
		return err
	}
	st.Cookies = append(kept, fresh...)
	if st.Origins == nil {
		st.Origins = []cookies.StorageOrigin{}
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'), 0o600)
}
