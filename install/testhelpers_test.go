package install

import "github.com/authbridge/authbridge/manifest"

// Helpers that only the tests use.

// Found is a browser found on the machine.
type Found struct {
	Browser     string `json:"browser"`
	DisplayName string `json:"display_name"`
	Variant     string `json:"variant"` // "native", "flatpak" or "snap"
	UserDataDir string `json:"user_data_dir"`
	Note        string `json:"note,omitempty"`
}

// Detect lists the browsers installed for opts.Home (and under opts.Root):
// a browser is installed when its default user-data-dir holds anything
// besides a NativeMessagingHosts folder, or one of its binaries exists.
// Sandboxed (Flatpak, Snap) installations are listed with Variant set.
func Detect(opts Options) []Found {
	o, err := opts.normalize()
	if err != nil {
		return nil
	}
	env := o.env()
	var out []Found
	for _, b := range manifest.Browsers() {
		p, ok := b.Platforms[o.OS]
		if !ok {
			continue
		}
		if installed(env, p) {
			out = append(out, Found{Browser: b.Name, DisplayName: b.DisplayName, Variant: "native", UserDataDir: env.Resolve(p.UserDataDir)})
		}
		for _, s := range p.Sandboxes {
			if dir := env.Resolve(s.UserDataDir); isDir(dir) {
				out = append(out, Found{Browser: b.Name, DisplayName: b.DisplayName, Variant: s.Kind, UserDataDir: dir, Note: s.Note})
			}
		}
	}
	return out
}
