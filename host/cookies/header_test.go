package cookies

import (
	"errors"
	"testing"
	"time"

	"github.com/authbridge/authbridge/host/apitype"
)

func TestHeaderFor(t *testing.T) {
	now := time.Unix(1000, 0)
	dc := func(name, domain, path string) apitype.Cookie {
		return apitype.Cookie{Name: name, Value: "v", Domain: domain, Path: path, Session: true}
	}
	ho := func(name, domain, path string) apitype.Cookie {
		c := dc(name, domain, path)
		c.HostOnly = true
		return c
	}
	secure := func(c apitype.Cookie) apitype.Cookie { c.Secure = true; return c }
	part := func(c apitype.Cookie, top string, cross *bool) apitype.Cookie {
		c.Secure = true
		c.PartitionKey = &apitype.PartitionKey{TopLevelSite: top, HasCrossSiteAncestor: cross}
		return c
	}
	tests := []struct {
		name string
		cs   []apitype.Cookie
		url  string
		want string
	}{
		{"host-only exact", []apitype.Cookie{ho("a", "demo.test", "/")}, "http://demo.test/", "a=v"},
		{"host-only not on subdomain", []apitype.Cookie{ho("a", "demo.test", "/")}, "http://sub.demo.test/", ""},
		{"host-only case", []apitype.Cookie{ho("a", "demo.test", "/")}, "http://DEMO.test/", "a=v"},
		{"domain on itself", []apitype.Cookie{dc("a", ".demo.test", "/")}, "http://demo.test/", "a=v"},
		{"domain on subdomain", []apitype.Cookie{dc("a", ".demo.test", "/")}, "http://x.y.demo.test/", "a=v"},
		{"domain label boundary", []apitype.Cookie{dc("a", ".demo.test", "/")}, "http://evildemo.test/", ""},
		{"domain not on parent", []apitype.Cookie{dc("a", ".sub.demo.test", "/")}, "http://demo.test/", ""},
		{"ip host-only", []apitype.Cookie{ho("a", "127.0.0.1", "/")}, "http://127.0.0.1:9/", "a=v"},
		{"ip domain cookie no suffix match", []apitype.Cookie{dc("a", "0.0.1", "/")}, "http://127.0.0.1/", ""},
		{"ipv6", []apitype.Cookie{ho("a", "[::1]", "/")}, "http://[::1]:8080/", "a=v"},
		{"port ignored", []apitype.Cookie{ho("a", "demo.test", "/")}, "http://demo.test:8080/", "a=v"},

		{"path exact", []apitype.Cookie{dc("a", ".demo.test", "/app")}, "http://demo.test/app", "a=v"},
		{"path child", []apitype.Cookie{dc("a", ".demo.test", "/app")}, "http://demo.test/app/x", "a=v"},
		{"path prefix not at slash", []apitype.Cookie{dc("a", ".demo.test", "/app")}, "http://demo.test/application", ""},
		{"path with trailing slash", []apitype.Cookie{dc("a", ".demo.test", "/app/")}, "http://demo.test/app/x", "a=v"},
		{"path with trailing slash vs bare", []apitype.Cookie{dc("a", ".demo.test", "/app/")}, "http://demo.test/app", ""},
		{"empty url path", []apitype.Cookie{dc("a", ".demo.test", "/")}, "http://demo.test", "a=v"},
		{"empty cookie path", []apitype.Cookie{dc("a", ".demo.test", "")}, "http://demo.test/x", "a=v"},
		{"query ignored", []apitype.Cookie{dc("a", ".demo.test", "/app")}, "http://demo.test/app?x=/y#z", "a=v"},
		{"escaped path", []apitype.Cookie{dc("a", ".demo.test", "/a%20b")}, "http://demo.test/a%20b/c", "a=v"},

		{"secure over https", []apitype.Cookie{secure(dc("a", ".demo.test", "/"))}, "https://demo.test/", "a=v"},
		{"secure not over http", []apitype.Cookie{secure(dc("a", ".demo.test", "/"))}, "http://demo.test/", ""},
		{"secure over wss", []apitype.Cookie{secure(dc("a", ".demo.test", "/"))}, "wss://demo.test/", "a=v"},
		{"secure on http localhost", []apitype.Cookie{secure(ho("a", "localhost", "/"))}, "http://localhost:3000/", "a=v"},
		{"secure on http x.localhost", []apitype.Cookie{secure(ho("a", "app.localhost", "/"))}, "http://app.localhost/", "a=v"},
		{"secure on http 127.0.0.1", []apitype.Cookie{secure(ho("a", "127.0.0.1", "/"))}, "http://127.0.0.1/", "a=v"},
		{"secure on http 127.1.2.3", []apitype.Cookie{secure(ho("a", "127.1.2.3", "/"))}, "http://127.1.2.3/", "a=v"},
		{"secure on http ::1", []apitype.Cookie{secure(ho("a", "::1", "/"))}, "http://[::1]/", "a=v"},
		{"secure not on http lan ip", []apitype.Cookie{secure(ho("a", "10.0.0.1", "/"))}, "http://10.0.0.1/", ""},

		{"expired", []apitype.Cookie{{Name: "a", Value: "v", Domain: "demo.test", HostOnly: true, ExpirationDate: 999.5}}, "http://demo.test/", ""},
		{"expires at now", []apitype.Cookie{{Name: "a", Value: "v", Domain: "demo.test", HostOnly: true, ExpirationDate: 1000}}, "http://demo.test/", ""},
		{"live", []apitype.Cookie{{Name: "a", Value: "v", Domain: "demo.test", HostOnly: true, ExpirationDate: 1000.5}}, "http://demo.test/", "a=v"},

		{"partition own site", []apitype.Cookie{part(ho("a", "demo.test", "/"), "https://demo.test", ptr(false))}, "https://demo.test/", "a=v"},
		{"partition own site from subdomain", []apitype.Cookie{part(dc("a", ".demo.test", "/"), "https://demo.test", ptr(false))}, "https://www.demo.test/", "a=v"},
		{"partition inferred", []apitype.Cookie{part(ho("a", "demo.test", "/"), "https://demo.test", nil)}, "https://demo.test/", "a=v"},
		{"partition cross-site ancestor", []apitype.Cookie{part(ho("a", "demo.test", "/"), "https://demo.test", ptr(true))}, "https://demo.test/", ""},
		{"partition other site", []apitype.Cookie{part(ho("a", "demo.test", "/"), "https://other.example", ptr(false))}, "https://demo.test/", ""},
		{"partition other scheme", []apitype.Cookie{part(ho("a", "demo.test", "/"), "http://demo.test", ptr(false))}, "https://demo.test/", ""},
		{"partition on localhost", []apitype.Cookie{part(ho("a", "localhost", "/"), "http://localhost", ptr(false))}, "http://localhost:8080/", "a=v"},

		{"order longer path first, then input order", []apitype.Cookie{
			{Name: "root1", Value: "1", Domain: ".demo.test", Path: "/", Session: true},
			{Name: "deep", Value: "2", Domain: ".demo.test", Path: "/a/b", Session: true},
			{Name: "mid", Value: "3", Domain: "demo.test", HostOnly: true, Path: "/a", Session: true},
			{Name: "root2", Value: "4", Domain: "demo.test", HostOnly: true, Path: "/", Session: true},
			{Name: "mid2", Value: "5", Domain: ".demo.test", Path: "/a/", Session: true},
		}, "http://demo.test/a/b/c", "deep=2; mid2=5; mid=3; root1=1; root2=4"},
		{"duplicate names kept", []apitype.Cookie{dc("a", ".demo.test", "/"), ho("a", "demo.test", "/")}, "http://demo.test/", "a=v; a=v"},
		{"unnamed cookie", []apitype.Cookie{{Value: "bare", Domain: "demo.test", HostOnly: true, Session: true}}, "http://demo.test/", "bare"},
		{"value with = \" , space and tab", []apitype.Cookie{{Name: "q", Value: "a=b \"c\",d\te", Domain: "demo.test", HostOnly: true, Session: true}}, "http://demo.test/", "q=a=b \"c\",d\te"},
		{"sameSite ignored", []apitype.Cookie{{Name: "s", Value: "v", Domain: "demo.test", HostOnly: true, SameSite: "strict", Session: true}}, "http://demo.test/", "s=v"},
		{"no cookies", nil, "http://demo.test/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HeaderFor(tt.cs, tt.url, now)
			if err != nil {
				t.Fatalf("HeaderFor(%s) error = %v", tt.url, err)
			}
			if got != tt.want {
				t.Errorf("HeaderFor(%s) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

func TestHeaderForBadURL(t *testing.T) {
	for _, u := range []string{"ftp://demo.test/", "demo.test/path", "http:///path", "http://[::1", "file:///etc/passwd", ""} {
		t.Run(u, func(t *testing.T) {
			if _, err := HeaderFor(nil, u, time.Now()); !errors.Is(err, ErrBadURL) {
				t.Errorf("HeaderFor(%q) error = %v, want ErrBadURL", u, err)
			}
		})
	}
}

// TestHeaderForSkipsUnmatchedBadCookie checks that a cookie which could not
// go into a header only fails the call when it would be sent.
func TestHeaderForSkipsUnmatchedBadCookie(t *testing.T) {
	cs := []apitype.Cookie{
		{Name: "bad", Value: "x;y", Domain: "other.test", HostOnly: true, Session: true},
		{Name: "good", Value: "v", Domain: "demo.test", HostOnly: true, Session: true},
	}
	got, err := HeaderFor(cs, "http://demo.test/", time.Now())
	if err != nil || got != "good=v" {
		t.Errorf("HeaderFor = %q, %v, want %q, nil", got, err, "good=v")
	}
}
