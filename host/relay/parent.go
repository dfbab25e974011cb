package relay

import "strings"

// userDataDirFromArgs finds --user-data-dir in a browser's command line, or
// Firefox's -profile DIR (also --profile, -profile=DIR): the profile folder
// itself, which the agent recognises as one.
func userDataDirFromArgs(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--user-data-dir="); ok {
			return v
		}
		if a == "--user-data-dir" && i+1 < len(args) {
			return args[i+1]
		}
		for _, flag := range []string{"-profile", "--profile"} {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v
			}
			if a == flag && i+1 < len(args) {
				return args[i+1]
			}
		}
	}
	return ""
}
