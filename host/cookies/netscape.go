package cookies

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/authbridge/authbridge/host/apitype"
)

// NetscapeHeader is the first line of a Netscape cookies.txt file. Python's
// http.cookiejar.MozillaCookieJar (and with it yt-dlp) refuses a file that
// does not start with it.
const NetscapeHeader = "# Netscape HTTP Cookie File"

// netscapeHTTPOnlyPrefix marks an httpOnly cookie's line, as curl writes it.
const netscapeHTTPOnlyPrefix = "#HttpOnly_"

// WriteNetscape writes cs as a Netscape cookies.txt file: the header line,
// then one line per cookie in input order with seven tab-separated fields:
//
//	domain  includeSubdomains  path  secure  expiry  name  value
//
// A domain cookie is written with its leading dot and TRUE, a host-only
// cookie without a dot and FALSE (readers such as Python's MozillaCookieJar
// require the two to agree). secure is TRUE or FALSE. expiry is whole Unix
// seconds, the fraction truncated, and 0 for a session cookie; a persistent
// cookie never gets 0. An httpOnly cookie's line starts with "#HttpOnly_"
// (curl's convention; readers that do not know it skip the line as a
// comment). The format has no sameSite and no partition key: a partitioned
// cookie is written as an unpartitioned one, which is what curl and wget send
// anyway.
//
// A field cannot hold a tab, a line break or other control character, so a
// cookie with one in its name, value, domain or path is refused with a
// *CookieError, and nothing is written.
func WriteNetscape(w io.Writer, cs []apitype.Cookie) error {
	var b bytes.Buffer
	b.WriteString(NetscapeHeader + "\n")
	for _, c := range cs {
		if err := checkNetscape(c); err != nil {
			return err
		}
		domain := domainAttr(c)
		if c.HttpOnly {
			domain = netscapeHTTPOnlyPrefix + domain
		}
		sub := "FALSE"
		if !c.HostOnly {
			sub = "TRUE"
		}
		secure := "FALSE"
		if c.Secure {
			secure = "TRUE"
		}
		var expiry int64
		if !c.Session {
			expiry = netscapeExpiry(persistentExpiry(c))
		}
		b.WriteString(strings.Join([]string{
			domain, sub, pathOf(c), secure, strconv.FormatInt(expiry, 10), c.Name, c.Value,
		}, "\t"))
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// netscapeExpiry is a persistent cookie's expiry in whole seconds: truncated,
// at least 1 (0 would mean "session"), at most the largest int64.
func netscapeExpiry(sec float64) int64 {
	t := math.Trunc(sec)
	switch {
	case t < 1:
		return 1
	case t >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(t)
}

func checkNetscape(c apitype.Cookie) error {
	if err := checkCommon(c, FormatNetscape); err != nil {
		return err
	}
	for _, f := range []struct{ what, s string }{
		{"name", c.Name}, {"value", c.Value}, {"domain", c.Domain}, {"path", c.Path},
	} {
		if hasControl(f.s) {
			return cookieErr(c, FormatNetscape, "its "+f.what+" holds a tab, line break or other control character")
		}
	}
	if strings.HasPrefix(c.Domain, "#") {
		return cookieErr(c, FormatNetscape, "its domain starts with #, which reads as a comment")
	}
	return nil
}

// hasControl reports whether s holds an ASCII control character (tab, CR and
// LF included) or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
