/* A stand-in for Windows' bcryptprimitives.dll, which Wine 8 lacks: Go 1.22
 * and later get their random numbers from its ProcessPrng. Built and put
 * into the test's Wine prefix by scripts/package-test.sh; never shipped. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!RtlGenRandom(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
