/* seen.c: what two tasks share, asked of the kernel itself: kcmp for the objects
 * task_struct points at, and the links in /proc/<tid>/ns for the namespaces. Probe, the
 * scenarios and the pictures all ask this way. */
#include "lab.h"

const char lab_ns_names[8][7] = { "user", "pid", "uts", "ipc", "mnt", "net", "cgroup", "time" };
/* kcmp's types (KCMP_VM 1, KCMP_FS 3, ...), in the order of struct lab_seen's kcmp rows */
static const uint8_t kcmp_type[6] = { 1, 3, 2, 4, 5, 6 };

/* kcmp and the ns links of two tasks: pdir/cdir are /proc/<x> directories; pa/ch
 * their pids as the caller sees them. Precondition: both tasks alive. */
void lab_ask_kernel(struct lab_seen *s, int pa, int ch, const char *pdir, const char *cdir)
{
	for (int i = 0; i < 6; i++)
		s->kcmp[i] = SYS5(kcmp, pa, ch, kcmp_type[i], 0, 0);
	for (int side = 0; side < 2; side++)
		for (int i = 0; i < 8; i++) {
			char path[64], *p = path;
			const char *d = side ? cdir : pdir;
			while (*d)
				*p++ = *d++;
			memcpy(p, "/ns/", 4), p += 4;
			memcpy(p, lab_ns_names[i], 7);
			char *o = s->ns[side][i];
			long n = SYS4(readlinkat, AT_FDCWD, path, o, 31);
			o[n > 0 ? n : 0] = 0;
		}
}
