/* data.c: filling a struct pic by hand, for any source: the tasks, the events,
 * and the kernel's own view of an object (its pointers in both tasks), which --kernel
 * can set over what kcmp and /proc said. Needs nothing but the runtime. */
#include "pic.h"

void pic_tasks(struct pic *p, int ppid, int ptid, int cpid, int ctid)
{
	p->task[0].pid = ppid, p->task[0].tid = ptid;
	p->task[1].pid = cpid, p->task[1].tid = ctid;
}

void pic_event(struct pic *p, long t_ns, int cpu, int task, int kernel, const char *what)
{
	if (p->nev >= PIC_MAX_EV)
		return;
	struct pic_event *e = &p->ev[p->nev++];
	e->t_ns = t_ns, e->cpu = cpu, e->task = task, e->kernel = kernel;
	pic_fmt(e->what, sizeof e->what, "%s", what);
	e->kind[0] = 0;
}

void pic_kevent(struct pic *p, long t_ns, int cpu, int task, const char *kind, const char *what)
{
	int n = p->nev;
	pic_event(p, t_ns, cpu, task, 1, what);
	if (p->nev > n)
		pic_fmt(p->ev[n].kind, sizeof p->ev[n].kind, "%s", kind);
}

struct pic_object *pic_find(struct pic *p, const char *name)
{
	for (int i = 0; i < p->nobj; i++) {
		struct pic_object *b = &p->obj[i];
		const char *k = cl_startswith(b->key, "ns.") ? b->key + 3 : b->key;
		if (cl_streq(b->name, name) || cl_streq(b->key, name) || cl_streq(k, name))
			return b;
	}
	return 0;
}

int pic_kernel_object(struct pic *p, const char *name, uint64_t parent, uint64_t child,
		      const char *decided_by)
{
	struct pic_object *b = pic_find(p, name);
	if (!b || !parent || !child)
		return -1;
	b->ptr[0] = parent, b->ptr[1] = child;
	b->same = parent == child;
	pic_fmt(b->evidence, sizeof b->evidence, "kernel pointers%s%s", decided_by ? ", " : "",
		decided_by ? decided_by : "");
	return 0;
}
