// Package nativemsg implements Chrome's native-messaging framing: a 32-bit
// length in native byte order followed by that many bytes of UTF-8 JSON.
//
// The reader checks the length against a cap before allocating; the writer
// never emits a frame above the browser's 1 MiB limit and splits larger
// messages into chunk frames (see PROTOCOL.md, "Chunks").
package nativemsg

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// MaxOutbound is the largest frame Chrome accepts from a native host.
const MaxOutbound = 1 << 20

// MaxInbound is the default cap on a frame read from the browser.
const MaxInbound = 16 << 20

// ErrFrameTooLarge is returned when a frame's declared length exceeds the cap.
var ErrFrameTooLarge = errors.New("frame too large")

// ErrTruncated is returned when the stream ends inside a frame.
var ErrTruncated = errors.New("truncated frame")

// ErrNotObject is returned when a frame does not hold a JSON object.
var ErrNotObject = errors.New("frame is not a JSON object")

// byteOrder is the platform's native byte order; every platform authbridge
// ships for is little-endian.
var byteOrder = binary.NativeEndian

// Reader reads frames. It is not safe for concurrent use.
type Reader struct {
	r   io.Reader
	max uint32
	hdr [4]byte
}

// NewReader returns a Reader that refuses frames longer than max bytes
// (MaxInbound when max is 0).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = MaxInbound
	}
	return &Reader{r: r, max: uint32(max)}
}

// ReadFrame returns the next frame's payload. It returns io.EOF at a clean end
// of stream (between frames), ErrTruncated when the stream ends inside a
// frame, and ErrFrameTooLarge (without reading the payload) when the declared
// length exceeds the cap.
func (r *Reader) ReadFrame() ([]byte, error) {
	n, err := io.ReadFull(r.r, r.hdr[:])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d of 4 length bytes", ErrTruncated, n)
		}
		return nil, fmt.Errorf("read frame length: %w", err)
	}
	size := byteOrder.Uint32(r.hdr[:])
	if size > r.max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, size, r.max)
	}
	buf := make([]byte, size)
	if n, err := io.ReadFull(r.r, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			return nil, fmt.Errorf("%w: %d of %d payload bytes", ErrTruncated, n, size)
		}
		return nil, fmt.Errorf("read frame payload: %w", err)
	}
	return buf, nil
}

// ReadMessage reads one frame and checks that it holds a JSON object. It
// returns the raw payload for the caller to decode.
func (r *Reader) ReadMessage() (json.RawMessage, error) {
	b, err := r.ReadFrame()
	if err != nil {
		return nil, err
	}
	if err := CheckObject(b); err != nil {
		return nil, err
	}
	return b, nil
}

// CheckObject reports whether b is one valid JSON object.
func CheckObject(b []byte) error {
	if !utf8.Valid(b) {
		// encoding/json would silently turn these bytes into U+FFFD.
		return fmt.Errorf("%w: invalid UTF-8", ErrNotObject)
	}
	if !json.Valid(b) {
		return fmt.Errorf("%w: invalid JSON", ErrNotObject)
	}
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return nil
		}
		break
	}
	return ErrNotObject
}

// Writer writes frames. It is safe for concurrent use: each message is
// written whole (or as a complete run of chunks) before the next.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	max    int
	chunks atomic.Uint64
}

// NewWriter returns a Writer whose frames are at most max bytes
// (MaxOutbound when max is 0).
func NewWriter(w io.Writer, max int) *Writer {
	if max <= 0 {
		max = MaxOutbound
	}
	return &Writer{w: w, max: max}
}

// WriteFrame writes payload as one frame. It refuses a payload above the
// writer's limit; use WriteMessage to have large messages chunked.
func (w *Writer) WriteFrame(payload []byte) error {
	if len(payload) > w.max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(payload), w.max)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(payload)
}

func (w *Writer) writeLocked(payload []byte) error {
	buf := make([]byte, 4+len(payload))
	byteOrder.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	_, err := w.w.Write(buf)
	return err
}

// Chunk is one piece of a message too large for a single frame.
type Chunk struct {
	Type    string `json:"type"` // always "chunk"
	ChunkID string `json:"chunk_id"`
	Seq     int    `json:"seq"`
	Total   int    `json:"total"`
	Data    string `json:"data"`
}

// WriteMessage marshals v and writes it as one frame, or as chunk frames
// when the JSON is larger than the writer's limit.
func (w *Writer) WriteMessage(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
	return w.WriteJSON(b)
}

// WriteJSON writes an already encoded JSON message, chunking it when needed.
func (w *Writer) WriteJSON(b []byte) error {
	if len(b) <= w.max {
		return w.WriteFrame(b)
	}
	// A chunk's data is JSON-escaped inside its frame, which can grow it up
	// to six times (\u00XX); keep each raw piece small enough for the worst
	// case.
	piece := (w.max - 200) / 6
	if piece < 1 {
		return fmt.Errorf("%w: limit %d too small to chunk", ErrFrameTooLarge, w.max)
	}
	id := "c" + strconv.FormatUint(w.chunks.Add(1), 10)
	parts := splitUTF8(string(b), piece)
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, p := range parts {
		fb, err := json.Marshal(Chunk{Type: "chunk", ChunkID: id, Seq: i, Total: len(parts), Data: p})
		if err != nil {
			return fmt.Errorf("encode chunk: %w", err)
		}
		if len(fb) > w.max {
			return fmt.Errorf("%w: chunk of %d bytes", ErrFrameTooLarge, len(fb))
		}
		if err := w.writeLocked(fb); err != nil {
			return err
		}
	}
	return nil
}

// splitUTF8 cuts s into pieces of at most n bytes without splitting a UTF-8
// sequence.
func splitUTF8(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := n
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		if cut == 0 {
			cut = n
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}

// Assembler puts chunked messages back together.
type Assembler struct {
	mu      sync.Mutex
	pending map[string]*partial
	// MaxBytes caps one reassembled message (MaxInbound when 0).
	MaxBytes int
}

type partial struct {
	total int
	parts []string
	have  []bool
	got   int
	size  int
}

// Add takes one chunk. It returns the whole message once its last piece has
// arrived, or nil while pieces are missing.
func (a *Assembler) Add(c Chunk) ([]byte, error) {
	if c.Total <= 0 || c.Seq < 0 || c.Seq >= c.Total || c.ChunkID == "" {
		return nil, fmt.Errorf("bad chunk: chunk_id %q seq %d total %d", c.ChunkID, c.Seq, c.Total)
	}
	max := a.MaxBytes
	if max <= 0 {
		max = MaxInbound
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = map[string]*partial{}
	}
	p := a.pending[c.ChunkID]
	if p == nil {
		if len(a.pending) >= 16 {
			return nil, fmt.Errorf("bad chunk: too many chunked messages in flight")
		}
		if c.Total > max {
			return nil, fmt.Errorf("bad chunk: total %d too large", c.Total)
		}
		p = &partial{total: c.Total, parts: make([]string, c.Total), have: make([]bool, c.Total)}
		a.pending[c.ChunkID] = p
	}
	if p.total != c.Total {
		delete(a.pending, c.ChunkID)
		return nil, fmt.Errorf("bad chunk: chunk_id %q total changed from %d to %d", c.ChunkID, p.total, c.Total)
	}
	if !p.have[c.Seq] {
		p.have[c.Seq] = true
		p.got++
	}
	p.size += len(c.Data) - len(p.parts[c.Seq])
	p.parts[c.Seq] = c.Data
	if p.size > max {
		delete(a.pending, c.ChunkID)
		return nil, fmt.Errorf("%w: chunked message over %d bytes", ErrFrameTooLarge, max)
	}
	if p.got < p.total {
		return nil, nil
	}
	delete(a.pending, c.ChunkID)
	buf := make([]byte, 0, p.size)
	for _, s := range p.parts {
		buf = append(buf, s...)
	}
	if err := CheckObject(buf); err != nil {
		return nil, fmt.Errorf("reassembled chunk %q: %w", c.ChunkID, err)
	}
	return buf, nil
}
