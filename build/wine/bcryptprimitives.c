/*
 * bcryptprimitives.dll for Wine 8, which lacks it: the Go runtime (1.24 and
 * later) takes its random numbers from ProcessPrng in this DLL. This stand-in
 * answers from RtlGenRandom (advapi32's SystemFunction036). It is built and
 * used only to run the Windows test binaries under Wine; nothing ships it.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst; (void)reason; (void)reserved;
	return TRUE;
}
