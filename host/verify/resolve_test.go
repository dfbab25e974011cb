package verify

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestParseResolve(t *testing.T) {
	r, err := ParseResolve(" demo.test:8080:127.0.0.1 , API.Demo.Test:443:[::1],*:80:10.0.0.1,,")
	if err != nil {
		t.Fatalf("ParseResolve error: %v", err)
	}
	tests := []struct {
		host, port, want string
	}{
		{"demo.test", "8080", "127.0.0.1"},
		{"DEMO.test.", "8080", "127.0.0.1"},
		{"demo.test", "8081", ""},
		{"api.demo.test", "443", "::1"},
		{"anything.example", "80", "10.0.0.1"},
		{"www.demo.test", "8080", ""},
	}
	for _, tt := range tests {
		addr, ok := r.Lookup(tt.host, tt.port)
		got := ""
		if ok {
			got = addr.String()
		}
		if got != tt.want {
			t.Errorf("Lookup(%q, %q) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
	if got, want := r.String(), "demo.test:8080:127.0.0.1,api.demo.test:443:[::1],*:80:10.0.0.1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := r.HostResolverRules(), "MAP demo.test 127.0.0.1, MAP api.demo.test [::1], MAP * 10.0.0.1"; got != want {
		t.Errorf("HostResolverRules() = %q, want %q", got, want)
	}

	exact, _ := ParseResolve("*:80:10.0.0.1,demo.test:80:127.0.0.1")
	if addr, _ := exact.Lookup("demo.test", "80"); addr.String() != "127.0.0.1" {
		t.Errorf("Lookup(demo.test) with * first = %v, want the exact entry 127.0.0.1", addr)
	}
	if empty, err := ParseResolve(""); err != nil || !empty.Empty() || empty.HostResolverRules() != "" {
		t.Errorf("ParseResolve(\"\") = %v, %v; want an empty resolver", empty, err)
	}
}

func TestParseResolveErrors(t *testing.T) {
	for _, bad := range []string{
		"demo.test",
		"demo.test:80",
		"demo.test:http:127.0.0.1",
		"demo.test:0:127.0.0.1",
		"demo.test:70000:127.0.0.1",
		"demo.test:80:localhost",
		"demo.test:80:127.0.0.1:90",
		":80:127.0.0.1",
		"good.test:80:127.0.0.1,bad entry:80:1.2.3.4",
	} {
		_, err := ParseResolve(bad)
		if err == nil {
			t.Errorf("ParseResolve(%q) = nil error, want one", bad)
			continue
		}
		entry := bad[strings.LastIndex(bad, ",")+1:]
		if !strings.Contains(err.Error(), `"`+entry+`"`) || !strings.Contains(err.Error(), ResolveEnv) {
			t.Errorf("ParseResolve(%q) error %q does not name the entry %q", bad, err, entry)
		}
	}
}

func TestResolverDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r, err := ParseResolve("nowhere.test:" + port + ":127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.DialContext(&net.Dialer{})(context.Background(), "tcp", "nowhere.test:"+port)
	if err != nil {
		t.Fatalf("dial nowhere.test:%s through the resolver: %v", port, err)
	}
	c.Close()
}

func FuzzParseResolve(f *testing.F) {
	f.Add("demo.test:8080:127.0.0.1,*:443:[::1]")
	f.Add("a:1:1.2.3.4,,b:2:[fe80::1%eth0]")
	f.Add(":::")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResolve(s)
		if err != nil {
			return
		}
		again, err := ParseResolve(r.String())
		if err != nil {
			t.Fatalf("ParseResolve(%q).String() = %q does not parse: %v", s, r.String(), err)
		}
		if again.String() != r.String() {
			t.Fatalf("round trip of %q: %q, then %q", s, r.String(), again.String())
		}
		_ = r.HostResolverRules()
	})
}
