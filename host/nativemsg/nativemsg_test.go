package nativemsg

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func frame(payload string) []byte {
	b := make([]byte, 4+len(payload))
	binary.NativeEndian.PutUint32(b, uint32(len(payload)))
	copy(b[4:], payload)
	return b
}

func TestReadFrames(t *testing.T) {
	var in bytes.Buffer
	in.Write(frame(`{"type":"hello"}`))
	in.Write(frame(`{"id":"1","type":"ping"}`))
	r := NewReader(&in, 0)
	for _, want := range []string{`{"type":"hello"}`, `{"id":"1","type":"ping"}`} {
		got, err := r.ReadMessage()
		if err != nil {
			t.Fatalf("ReadMessage: %v", err)
		}
		if string(got) != want {
			t.Errorf("ReadMessage = %s, want %s", got, want)
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Errorf("ReadFrame at end = %v, want io.EOF", err)
	}
}

func TestReadBadInput(t *testing.T) {
	huge := make([]byte, 4)
	binary.NativeEndian.PutUint32(huge, 0xFFFFFFF0)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"huge length", huge, ErrFrameTooLarge},
		{"truncated length", []byte{1, 0}, ErrTruncated},
		{"truncated payload", frame(`{"type":"hello"}`)[:10], ErrTruncated},
		{"invalid json", frame(`{"type":`), ErrNotObject},
		{"not an object", frame(`[1,2]`), ErrNotObject},
		{"string", frame(`"x"`), ErrNotObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tt.in), 1024)
			_, err := r.ReadMessage()
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadMessage() error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHugeLengthDoesNotAllocate(t *testing.T) {
	huge := make([]byte, 4)
	binary.NativeEndian.PutUint32(huge, 0xFFFFFFFF)
	allocs := testing.AllocsPerRun(10, func() {
		r := NewReader(bytes.NewReader(huge), 0)
		_, _ = r.ReadFrame()
	})
	// The error message allocates a little; a 4 GiB buffer would show as a
	// crash or a huge figure, not a handful of allocations.
	if allocs > 10 {
		t.Errorf("ReadFrame with huge length made %v allocations", allocs)
	}
}

func TestWriteChunksLargeMessages(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, 4096)
	big := map[string]any{"id": "h1", "type": "result", "result": map[string]string{"blob": strings.Repeat("a\"é\u2028", 5000)}}
	if err := w.WriteMessage(big); err != nil {
		t.Fatalf("WriteMessage: %v", err)
	}
	r := NewReader(&out, 4096)
	var a Assembler
	var whole []byte
	frames := 0
	for {
		b, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ReadMessage: %v", err)
		}
		frames++
		if len(b) > 4096 {
			t.Fatalf("frame of %d bytes over the 4096 limit", len(b))
		}
		var c Chunk
		if err := json.Unmarshal(b, &c); err != nil || c.Type != "chunk" {
			t.Fatalf("frame is not a chunk: %v", err)
		}
		m, err := a.Add(c)
		if err != nil {
			t.Fatalf("Add: %v", err)
		}
		if m != nil {
			whole = m
		}
	}
	if frames < 2 {
		t.Fatalf("got %d frames, want several chunks", frames)
	}
	want, _ := json.Marshal(big)
	if !bytes.Equal(whole, want) {
		t.Errorf("reassembled message differs from the original (%d vs %d bytes)", len(whole), len(want))
	}
}

func TestWriteFrameRefusesOversize(t *testing.T) {
	w := NewWriter(io.Discard, 0)
	if err := w.WriteFrame(make([]byte, MaxOutbound+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("WriteFrame(1 MiB + 1) error = %v, want ErrFrameTooLarge", err)
	}
}

func TestAssemblerRejectsBadChunks(t *testing.T) {
	var a Assembler
	for _, c := range []Chunk{
		{ChunkID: "", Seq: 0, Total: 1},
		{ChunkID: "x", Seq: 2, Total: 2},
		{ChunkID: "x", Seq: -1, Total: 2},
		{ChunkID: "x", Seq: 0, Total: 0},
	} {
		if _, err := a.Add(c); err == nil {
			t.Errorf("Add(%+v) = nil error, want one", c)
		}
	}
	if _, err := a.Add(Chunk{ChunkID: "y", Seq: 0, Total: 1, Data: "[1]"}); err == nil {
		t.Errorf("Add of a non-object message = nil error, want one")
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(frame(`{"type":"hello"}`))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{3, 0, 0, 0, '{', '}', '}'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 1<<16)
		for i := 0; i < 100; i++ {
			b, err := r.ReadMessage()
			if err != nil {
				return
			}
			if !json.Valid(b) {
				t.Fatalf("ReadMessage returned invalid JSON without error")
			}
		}
	})
}

// TestCheckObjectRefusesInvalidUTF8 is issue 14 item 8: encoding/json
// accepts invalid UTF-8 and decodes it as U+FFFD; a frame must be refused
// by name instead.
func TestCheckObjectRefusesInvalidUTF8(t *testing.T) {
	err := CheckObject([]byte("{\"version\":\"t\xff\"}"))
	if err == nil || !strings.Contains(err.Error(), "invalid UTF-8") {
		t.Errorf("CheckObject(invalid UTF-8) = %v, want an error naming invalid UTF-8", err)
	}
	if err := CheckObject([]byte(`{"name":"café \u00e9"}`)); err != nil {
		t.Errorf("CheckObject(valid UTF-8) = %v", err)
	}
}
