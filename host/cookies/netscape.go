package cookies

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

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
	return writeNetscape(w, cs, FormatNetscape, time.Time{})
}

// CompatSessionLifetime is how long after the file is written a session
// cookie lasts in the netscape-compat format.
const CompatSessionLifetime = 24 * time.Hour

// WriteNetscapeCompat writes cs as a cookies.txt file that every reader
// loads whole, as WriteNetscape does with two differences:
//
//   - an httpOnly cookie's line has no "#HttpOnly_" prefix (wget and
//     Python's MozillaCookieJar read such a line as a comment and drop the
//     cookie, which is usually the session cookie); the httpOnly flag is
//     lost, which matters only to a reader that is a browser;
//   - a session cookie gets an expiry of now plus CompatSessionLifetime
//     rather than 0 (MozillaCookieJar drops a cookie with expiry 0 as
//     expired); a tool that saves its cookie jar keeps it as a persistent
//     cookie until then.
func WriteNetscapeCompat(w io.Writer, cs []apitype.Cookie, now time.Time) error {
	if now.IsZero() {
		now = time.Now()
	}
	return writeNetscape(w, cs, FormatNetscapeCompat, now)
}

// writeNetscape writes either dialect: f is FormatNetscape or
// FormatNetscapeCompat (then now dates the session cookies).
func writeNetscape(w io.Writer, cs []apitype.Cookie, f Format, now time.Time) error {
	compat := f == FormatNetscapeCompat
	var b bytes.Buffer
	b.WriteString(NetscapeHeader + "\n")
	for _, c := range cs {
		if err := checkNetscape(c, f); err != nil {
			return err
		}
		domain := domainAttr(c)
		if c.HttpOnly && !compat {
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
		switch {
		case !c.Session:
			expiry = netscapeExpiry(persistentExpiry(c))
		case compat:
			expiry = now.Add(CompatSessionLifetime).Unix()
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

func checkNetscape(c apitype.Cookie, f Format) error {
	if err := checkCommon(c, f); err != nil {
		return err
	}
	for _, fl := range []struct{ what, s string }{
		{"name", c.Name}, {"value", c.Value}, {"domain", c.Domain}, {"path", c.Path},
	} {
		if hasControl(fl.s) {
			return cookieErr(c, f, "its "+fl.what+" holds a tab, line break or other control character")
		}
	}
	if strings.HasPrefix(c.Domain, "#") {
		return cookieErr(c, f, "its domain starts with #, which reads as a comment")
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
