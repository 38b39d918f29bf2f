/* qemu.c: noticing QEMU user mode, which emulates clone instead of passing it on.
 * QEMU runs a second host thread for itself, and the guest's /proc/self/status shows
 * it: "Threads: 2" in a program that has created none. Only meaningful while we are
 * single-threaded, which clonelab is whenever it asks. */
#include "rt.h"

int cl_under_qemu(void)
{
	static int known = -1;
	if (known < 0) {
		char buf[2048], v[16];
		known = cl_read_file("/proc/self/status", buf, sizeof buf) > 0 &&
			cl_field(buf, "Threads", v, sizeof v) == 0 && !cl_streq(v, "1");
	}
	return known;
}
