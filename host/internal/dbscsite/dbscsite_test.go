package dbscsite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// device is a hand-written stand-in for the browser's side of DBSC: it keeps
// a key and the cookies, and signs challenges as Chromium does.
type device struct {
	key     *ecdsa.PrivateKey
	cookies map[string]string
}

func newDevice(t *testing.T) *device {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &device{key: k, cookies: map[string]string{}}
}

func b64json(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sign makes a proof over jti; withKey puts the public key in the header.
func (d *device) sign(t *testing.T, jti string, withKey bool, header map[string]any) string {
	t.Helper()
	if header == nil {
		header = map[string]any{"alg": "ES256", "typ": "dbsc+jwt"}
	}
	if withKey {
		header["jwk"] = map[string]any{
			"kty": "EC", "crv": "P-256",
			"x": base64.RawURLEncoding.EncodeToString(d.key.X.FillBytes(make([]byte, 32))),
			"y": base64.RawURLEncoding.EncodeToString(d.key.Y.FillBytes(make([]byte, 32))),
		}
	}
	signing := b64json(header) + "." + b64json(map[string]any{"jti": jti})
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, d.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (d *device) do(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "https://dbsc.test"+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for n, v := range d.cookies {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		d.cookies[c.Name] = c.Value
	}
	return rec
}

var quoted = regexp.MustCompile(`challenge="([^"]+)"`)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func signedIn(t *testing.T, d *device, h http.Handler) bool {
	t.Helper()
	return d.do(t, h, "GET", AccountPath, nil).Code == http.StatusOK
}

func TestSiteRegistersRefreshesAndRefusesCopies(t *testing.T) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	site := New("dbsc.test", 20*time.Second, clk.now)
	h := site.Handler()
	user := newDevice(t)

	rec := user.do(t, h, "POST", LoginPath, nil)
	reg := rec.Header().Get("Secure-Session-Registration")
	m := quoted.FindStringSubmatch(reg)
	if m == nil || !strings.Contains(reg, `path="`+RegisterPath+`"`) || !strings.HasPrefix(reg, "(ES256)") {
		t.Fatalf("Secure-Session-Registration = %q, want (ES256);path=...;challenge=...", reg)
	}
	if signedIn(t, user, h) {
		t.Fatal("account is signed in before the session is registered")
	}

	rec = user.do(t, h, "POST", RegisterPath, map[string]string{"Secure-Session-Response": user.sign(t, m[1], true, nil)})
	if rec.Code != http.StatusOK {
		t.Fatalf("register = %d %s", rec.Code, rec.Body)
	}
	var cfg struct {
		ID          string `json:"session_identifier"`
		RefreshURL  string `json:"refresh_url"`
		Credentials []struct {
			Type, Name, Attributes string
		} `json:"credentials"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ID == "" || cfg.RefreshURL != RefreshPath || len(cfg.Credentials) != 1 || cfg.Credentials[0].Name != BoundCookie {
		t.Fatalf("session config = %+v", cfg)
	}
	if !signedIn(t, user, h) {
		t.Fatal("account is signed out with both cookies")
	}

	// The registration challenge is single-use.
	rec = user.do(t, h, "POST", RegisterPath, map[string]string{"Secure-Session-Response": user.sign(t, m[1], true, nil)})
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("second registration with the same challenge = %d, want 400", rec.Code)
	}

	// A copy of both cookies works until the bound cookie expires.
	thief := newDevice(t)
	for k, v := range user.cookies {
		thief.cookies[k] = v
	}
	if !signedIn(t, thief, h) {
		t.Fatal("a copy is signed out while the bound cookie lives")
	}
	clk.add(21 * time.Second)
	if signedIn(t, user, h) || signedIn(t, thief, h) {
		t.Fatal("account is signed in with an expired bound cookie")
	}

	// Only the device key renews it: challenge, then proof.
	id := map[string]string{"Sec-Secure-Session-Id": cfg.ID}
	rec = user.do(t, h, "POST", RefreshPath, id)
	ch := regexp.MustCompile(`^"([^"]+)";id="` + cfg.ID + `"$`).FindStringSubmatch(rec.Header().Get("Secure-Session-Challenge"))
	if rec.Code != http.StatusForbidden || ch == nil {
		t.Fatalf("refresh without proof = %d %q, want 403 with a challenge", rec.Code, rec.Header().Get("Secure-Session-Challenge"))
	}
	rec = thief.do(t, h, "POST", RefreshPath, map[string]string{"Sec-Secure-Session-Id": cfg.ID, "Secure-Session-Response": thief.sign(t, ch[1], true, nil)})
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("refresh signed by another key = %d, want 401", rec.Code)
	}
	rec = user.do(t, h, "POST", RefreshPath, map[string]string{"Sec-Secure-Session-Id": cfg.ID, "Secure-Session-Response": user.sign(t, ch[1], false, nil)})
	if rec.Code != http.StatusOK {
		t.Fatalf("refresh with the device key = %d %s", rec.Code, rec.Body)
	}
	if !signedIn(t, user, h) || signedIn(t, thief, h) {
		t.Fatal("after the refresh the device is not signed in, or the copy is")
	}
	rec = user.do(t, h, "POST", RefreshPath, map[string]string{"Sec-Secure-Session-Id": cfg.ID, "Secure-Session-Response": user.sign(t, ch[1], false, nil)})
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("refresh replaying a used challenge = %d, want 401", rec.Code)
	}

	st := site.Stats()
	want := Stats{SignIns: 1, Registrations: 1, Challenges: 1, Refreshes: 1, Rejected: 3, SignedIn: 3, SignedOut: 4}
	if st != want {
		t.Fatalf("Stats() = %+v, want %+v", st, want)
	}
	if ids := site.SessionIDs(); len(ids) != 1 || ids[0] != cfg.ID {
		t.Fatalf("SessionIDs() = %v, want [%s]", ids, cfg.ID)
	}
}

func TestParseProof(t *testing.T) {
	d, other := newDevice(t), newDevice(t)
	good := d.sign(t, "c1", true, nil)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + b64json(map[string]any{"jti": "c2"}) + "." + parts[2]
	tests := []struct {
		name    string
		token   string
		key     *ecdsa.PublicKey
		wantErr string
	}{
		{"registration with its key", good, nil, ""},
		{"refresh with the session key", d.sign(t, "c1", false, nil), &d.key.PublicKey, ""},
		{"refresh ignores a carried key", other.sign(t, "c1", true, nil), &d.key.PublicKey, "does not verify"},
		{"empty", "", nil, "no Secure-Session-Response"},
		{"two parts", "a.b", nil, "2 parts"},
		{"bad base64", "!!.b.c", nil, "proof header"},
		{"wrong typ", d.sign(t, "c1", true, map[string]any{"alg": "ES256", "typ": "JWT"}), nil, "typ"},
		{"wrong alg", d.sign(t, "c1", true, map[string]any{"alg": "RS256", "typ": "dbsc+jwt"}), nil, "alg"},
		{"no key at registration", d.sign(t, "c1", false, nil), nil, "carries no key"},
		{"tampered payload", tampered, nil, "does not verify"},
		{"short signature", parts[0] + "." + parts[1] + ".AAAA", nil, "3 bytes"},
		{"no jti", parts[0] + "." + b64json(map[string]any{}) + "." + parts[2], nil, "no jti"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseProof(tt.token, tt.key)
			if tt.wantErr == "" {
				if err != nil || p.JTI != "c1" || p.Key == nil {
					t.Fatalf("parseProof = %+v, %v, want jti c1", p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("parseProof error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzParseProof(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJ4In0.AAAA")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := parseProof(token, nil)
		if err == nil && (p.Key == nil || p.JTI == "") {
			t.Fatalf("parseProof(%q) accepted a proof without key or jti", token)
		}
	})
}
