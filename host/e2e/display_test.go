//go:build !windows

package e2e

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// display is a virtual X display (Xvfb) for a headed browser: the browser's
// own UI (its permission prompt) only shows in a window.
type display struct {
	name  string // ":N"
	fbdir string // where Xvfb keeps the screen as an XWD file
}

// startDisplay starts Xvfb on a free display number. It fails in CI and
// skips elsewhere when Xvfb or xdotool is missing.
func startDisplay(t *testing.T) *display {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI is set and %s is missing (Debian: apt-get install xvfb xdotool): %v", tool, err)
			}
			t.Skipf("%s is missing (Debian: apt-get install xvfb xdotool); with CI set this test fails instead of skipping", tool)
		}
	}
	d := &display{fbdir: t.TempDir()}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x1024x24", "-fbdir", d.fbdir, "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
		r.Close()
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb did not say which display it took")
		}
		d.name = ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not start within 30 s")
	}
	return d
}

// xdotool runs xdotool on the display and returns its output.
func (d *display) xdotool(args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.name)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// windows lists the visible windows' names.
func (d *display) windows() []string {
	ids, _ := d.xdotool("search", "--onlyvisible", "--name", ".")
	var out []string
	for _, id := range strings.Fields(ids) {
		name, _ := d.xdotool("getwindowname", id)
		out = append(out, id+" "+name)
	}
	return out
}

// screenshot writes the whole screen as a PNG (from Xvfb's XWD frame
// buffer file), so the browser's own UI is in the picture too.
func (d *display) screenshot(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(d.fbdir, "Xvfb_screen0"))
	if err != nil {
		t.Fatalf("read the frame buffer: %v", err)
	}
	img, err := decodeXWD(b)
	if err != nil {
		t.Fatalf("frame buffer: %v", err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// decodeXWD decodes a 24/32-bit TrueColor ZPixmap XWD image, the format
// Xvfb keeps its screen in.
func decodeXWD(b []byte) (image.Image, error) {
	if len(b) < 100 {
		return nil, fmt.Errorf("xwd: %d bytes is too short", len(b))
	}
	be := binary.BigEndian
	u := func(i int) uint32 { return be.Uint32(b[i*4:]) }
	header, width, height := u(0), u(4), u(5)
	byteOrder, bpp, bpl, ncolors := u(7), u(11), u(12), u(19)
	if bpp != 32 {
		return nil, fmt.Errorf("xwd: %d bits per pixel, want 32", bpp)
	}
	off := int(header) + int(ncolors)*12
	if off+int(bpl)*int(height) > len(b) {
		return nil, fmt.Errorf("xwd: truncated")
	}
	img := image.NewRGBA(image.Rect(0, 0, int(width), int(height)))
	for y := 0; y < int(height); y++ {
		row := b[off+y*int(bpl):]
		for x := 0; x < int(width); x++ {
			p := row[x*4 : x*4+4]
			var v uint32
			if byteOrder == 0 { // LSBFirst
				v = uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
			} else {
				v = uint32(p[3]) | uint32(p[2])<<8 | uint32(p[1])<<16
			}
			img.Set(x, y, color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255})
		}
	}
	return img, nil
}

// frame returns the screen's raw frame buffer (Xvfb's XWD file).
func (d *display) frame() []byte {
	b, _ := os.ReadFile(filepath.Join(d.fbdir, "Xvfb_screen0"))
	return b
}

// waitChange waits until at least share of the screen's pixels differ from
// before (a dialog with its scrim drew), and reports whether they did
// within timeout.
func (d *display) waitChange(before []byte, share float64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		now := d.frame()
		if len(now) == len(before) && len(now) > 0 {
			diff := 0
			for i := 0; i+4 <= len(now); i += 4 {
				if now[i] != before[i] || now[i+1] != before[i+1] || now[i+2] != before[i+2] {
					diff++
				}
			}
			if float64(diff) >= share*float64(len(now)/4) {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
