package localapi

import (
	"context"

	"github.com/authbridge/authbridge/host/apitype"
	"net/http"
	"time"
)

// serveStream writes a Stream's answer: no write deadline (a stream lasts
// as long as its caller reads), the agent counted busy throughout.
func (s *Server) serveStream(ctx context.Context, w http.ResponseWriter, st Stream) {
	if s.cfg.Busy != nil {
		defer s.cfg.Busy()()
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", st.ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flush := func() { _ = rc.Flush() }
	flush()
	_ = st.Run(ctx, w, flush)
}

// ErrorOf is the API's error answer for err (its code, status and message),
// for handlers that report errors inside a stream.
func ErrorOf(err error) *apitype.Error { return toError(err) }
