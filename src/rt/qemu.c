/* qemu.c: noticing QEMU user mode, which emulates clone instead of passing it on.
 * QEMU runs a second host thread for itself, and the guest's /proc/self/status shows
 * it: "Threads: 2" in a program that has created none. Only meaningful while we are
 * single-threaded, which clonelab is whenever it asks. */
#include "rt.h"

int cl_under_qemu(void)
{
	static int known;	/* 0: not asked yet, else 1 + the answer (.bss, not .data) */
	if (!known) {
		char buf[2048], v[16];
		known = 1 + (cl_read_file("/proc/self/status", buf, sizeof buf) > 0 &&
			     cl_field(buf, "Threads", v, sizeof v) == 0 && !cl_streq(v, "1"));
	}
	return known - 1;
}
