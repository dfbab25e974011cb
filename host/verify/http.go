package verify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"github.com/authbridge/authbridge/host/cookies"
	"github.com/authbridge/authbridge/taxonomy"
)

// maxBody is how much of the final page the HTTP probe reads.
const maxBody = 4 << 20

// http runs the HTTP probe: GET the verify URL with the cookies that match
// each hop, follow redirects by hand, then look for the selectors in the
// final page. The site's Set-Cookie answers are not applied: every hop
// carries exactly the given cookies.
func (p *probe) http(ctx context.Context) (Report, error) {
	ev := p.evidence()
	pctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()

	tr := newTransport(p.resolver)
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	next := p.target
	for redirects := 0; ; redirects++ {
		ev.Hops = append(ev.Hops, taxonomy.Hop{URL: redact(next)})
		hop := &ev.Hops[len(ev.Hops)-1]

		req, err := http.NewRequestWithContext(pctx, http.MethodGet, next.String(), nil)
		if err != nil {
			// The URL came from a Location header that net/http will not send.
			ev.Transport = taxonomy.TransportOther
			break
		}
		req.Header.Set("User-Agent", p.opts.UserAgent)
		req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
		h, err := cookies.HeaderFor(p.cookies, next.String(), p.opts.Now())
		if err != nil {
			return Report{}, fmt.Errorf("verify %s: %w", redact(next), err)
		}
		if h != "" {
			req.Header.Set("Cookie", h)
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return Report{}, ctx.Err()
			}
			ev.Transport = transportKind(err)
			break
		}
		hop.Status = resp.StatusCode
		ev.Status = resp.StatusCode

		loc, locErr := resp.Location()
		if isRedirect(resp.StatusCode) && locErr == nil && (loc.Scheme == "http" || loc.Scheme == "https") {
			drain(resp.Body)
			if redirects >= p.opts.MaxRedirects {
				ev.TooManyRedirects = true
				break
			}
			next = loc
			continue
		}

		ev.FinalURL = hop.URL
		if err := p.match(resp, &ev); err != nil {
			if ctx.Err() != nil {
				return Report{}, ctx.Err()
			}
			ev.Transport = transportKind(err)
		}
		break
	}
	return p.report(ProbeHTTP, ev), nil
}

// match reads the final page and records which selectors matched.
func (p *probe) match(resp *http.Response, ev *taxonomy.Evidence) error {
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxBody)
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "html") {
		_, err := io.Copy(io.Discard, body)
		return err
	}
	doc, err := goquery.NewDocumentFromReader(body)
	if err != nil {
		return err
	}
	ev.LoggedInMatched = doc.Find(p.loggedIn).Length() > 0
	ev.LoginFormMatched = doc.Find(p.login).Length() > 0
	return nil
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// drain reads a little of a redirect's body so the connection can be reused.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
