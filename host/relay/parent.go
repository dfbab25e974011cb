package relay

import "strings"

// userDataDirFromArgs finds --user-data-dir in a browser's command line.
func userDataDirFromArgs(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--user-data-dir="); ok {
			return v
		}
		if a == "--user-data-dir" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}
