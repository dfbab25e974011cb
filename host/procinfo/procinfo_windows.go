package procinfo

import "golang.org/x/sys/windows"

// describe asks QueryFullProcessImageName for the executable. The command
// line of another process is not read (it lives in that process's memory).
func describe(pid int) Process {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return Process{}
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err != nil {
		return Process{}
	}
	return Process{Executable: windows.UTF16ToString(buf[:n])}
}
