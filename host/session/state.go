package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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

// writeStorageState writes fresh cookies to the connector's storage-state
// file, replacing its stale cookies and keeping every other domain's.
func (m *Manager) writeStorageState(def connector.Definition, cs []apitype.Cookie) ([]string, error) {
	if def.Session == nil || def.Session.StorageState == "" {
		return nil, nil
	}
	p := def.Session.StorageState
	if err := mergeStorageState(p, def.Domains, cs); err != nil {
		return nil, err
	}
	return []string{p}, nil
}

// profileToWrite is the connector's persistent profile a repair writes,
// or "" when it has none (or the manager writes no profiles).
func (m *Manager) profileToWrite(def connector.Definition) string {
	if def.Session == nil || def.Session.ProfileDir == "" || m.cfg.ProfileWriter == nil {
		return ""
	}
	return def.Session.ProfileDir
}

// writeProfile replaces the connector's cookies in its persistent profile
// dir. A profile a live browser holds is left alone and written once it is
// free (waitProfile): wrote is false then.
func (m *Manager) writeProfile(ctx context.Context, def connector.Definition, dir string, cs []apitype.Cookie) (wrote bool, err error) {
	if err := m.profileRefusal(def); err != nil {
		return false, err
	}
	err = m.cfg.ProfileWriter.Replace(ctx, dir, def.Domains, cs)
	if busy, ok := m.cfg.ProfileWriter.(ProfileWaiter); ok && isProfileBusy(err) {
		m.waitProfile(def, dir, busy, cs)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("profile %s: %w", dir, err)
	}
	return true, nil
}

// ProfileWaiter is implemented by a ProfileWriter that can tell when a
// profile held by a live browser is free again. Replace then answers an
// error with a ProfileBusy() bool method returning true.
type ProfileWaiter interface {
	WaitFree(ctx context.Context, profileDir string) error
}

func isProfileBusy(err error) bool {
	var b interface{ ProfileBusy() bool }
	return errors.As(err, &b) && b.ProfileBusy()
}

// waitProfile leaves a profile a live browser holds alone: the row says so,
// and the cookies are written once the browser has let go of it. A repair
// while one waits only updates the cookies to write.
func (m *Manager) waitProfile(def connector.Definition, dir string, waiter ProfileWaiter, cs []apitype.Cookie) {
	s := m.session(def.ID)
	s.mu.Lock()
	s.pendingCookies = append([]apitype.Cookie(nil), cs...)
	if s.profileWait != "" {
		s.mu.Unlock()
		return
	}
	s.profileWait = fmt.Sprintf("A running browser is using %s, so the sign-in will be written into it once that browser closes.", dir)
	s.mu.Unlock()
	m.cfg.Log.Info("profile in use: waiting to write the session", "connector", def.ID, "profile", dir)
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		for {
			err := waiter.WaitFree(m.ctx, dir)
			if err == nil {
				err = m.profileRefusal(def)
			}
			if err == nil {
				s.mu.Lock()
				pending := s.pendingCookies
				s.mu.Unlock()
				err = m.cfg.ProfileWriter.Replace(m.ctx, dir, def.Domains, pending)
				if isProfileBusy(err) {
					continue // taken again before the write
				}
			}
			s.mu.Lock()
			s.profileWait, s.pendingCookies = "", nil
			if err == nil {
				s.profileWrittenAt = time.Now()
			}
			s.mu.Unlock()
			if err != nil {
				m.cfg.Log.Warn("write the session into the freed profile", "connector", def.ID, "profile", dir, "err", err)
			} else {
				m.cfg.Log.Info("session written into the freed profile", "connector", def.ID, "profile", dir)
			}
			m.push(m.ctx, def)
			return
		}
	}()
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
// the connector's cookies replaced by cs. Only the cookies array changes:
// every other top-level key and the origins keep their bytes, and so does
// each cookie of another domain (with fields the host does not know).
func mergeStorageState(path string, domains []string, cs []apitype.Cookie) error {
	fresh, err := cookies.ToPlaywright(cs)
	if err != nil {
		return err
	}
	elems := make([][]byte, len(fresh))
	for i, pc := range fresh {
		if elems[i], err = json.MarshalIndent(pc, "    ", "  "); err != nil {
			return err
		}
	}
	old, err := os.ReadFile(path)
	var out []byte
	switch {
	case errors.Is(err, os.ErrNotExist):
		out = []byte("{\n  \"cookies\": " + string(cookieArray(nil, elems)) + ",\n  \"origins\": []\n}\n")
	case err != nil:
		return err
	default:
		if out, err = replaceCookies(old, domains, elems); err != nil {
			return fmt.Errorf("%s is not a Playwright storage state: %w", path, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out, 0o600)
}

// replaceCookies returns data, a storage state, with its cookies array
// holding the cookies outside domains (their bytes as they were) and then
// fresh. Everything outside the array is kept byte for byte; a state
// without a cookies key gets one as its first key.
func replaceCookies(data []byte, domains []string, fresh [][]byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("it does not hold a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if tok != "cookies" {
			continue
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errors.New(`its "cookies" is not an array`)
		}
		var kept [][]byte
		for _, c := range list {
			var head struct {
				Domain *string `json:"domain"`
			}
			// A cookie whose domain cannot be read is not the connector's.
			if json.Unmarshal(c, &head) == nil && head.Domain != nil && cookies.InScope(*head.Domain, domains) {
				continue
			}
			kept = append(kept, c)
		}
		out := append([]byte(nil), data[:start]...)
		out = append(out, cookieArray(kept, fresh)...)
		return append(out, data[end:]...), nil
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	// No cookies key: add one right after the opening brace.
	open := bytes.IndexByte(data, '{') + 1
	sep := ","
	if rest := bytes.TrimSpace(data[open:]); len(rest) > 0 && rest[0] == '}' {
		sep = ""
	}
	out := append([]byte(nil), data[:open]...)
	out = append(out, "\n  \"cookies\": "...)
	out = append(out, cookieArray(nil, fresh)...)
	out = append(out, sep...)
	return append(out, data[open:]...), nil
}

// cookieArray lays out a cookies array as the host writes it: kept
// elements first (as they were), then fresh ones.
func cookieArray(kept, fresh [][]byte) []byte {
	all := append(append([][]byte(nil), kept...), fresh...)
	if len(all) == 0 {
		return []byte("[]")
	}
	out := []byte("[")
	for i, e := range all {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, "\n    "...)
		out = append(out, e...)
	}
	return append(out, "\n  ]"...)
}
