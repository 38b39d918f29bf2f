/* pic.h: pictures of one clone, drawn as SVG from this run's data only.
 *
 * 1. Sharing: two task boxes (pid, tid, task_struct address when known) and a box per
 *    resource (mm, fs, files, sighand, signal, the namespaces): one box with two arrows
 *    where the tasks share it, two boxes where each has its own.
 * 2. Timeline: one lane per CPU, time to the right: the parent's syscall, the child's
 *    first instruction, and whatever other events the caller adds (kernel events).
 *
 * The drawing (share.c, time.c) reads only struct pic, so that any source can
 * fill it: the scenarios and probe fill it from kcmp and /proc (lab.c); a kernel
 * view can overwrite the verdicts with kernel pointers and append its events. */
#ifndef CL_PIC_H
#define CL_PIC_H
#include "lab/lab.h"

enum { PIC_PARENT, PIC_CHILD, PIC_OTHER };	/* whose event, whose copy */

struct pic_task {
	int pid, tid;		/* pid: the thread group id, as the parent sees it */
	uint64_t task_struct;	/* its kernel address; 0: not known */
	int ppid;		/* real_parent's pid (PPid in /proc/<tid>/status); 0: not seen */
	int inner_tid;		/* its tid in its own pid namespace, if that is another; 0: none seen */
	uint64_t stack, pt_regs, ksp;	/* kernel stack, pt_regs at its top, the saved
					 * context's stack pointer (--kernel); 0: not seen */
};

struct pic_object {
	char name[12];		/* "mm", "fs", "files", "sighand", "signal", "user ns" */
	char key[16];		/* its key in probe's "shared" JSON: "vm", "ns.user" */
	int same;		/* 1 shared, 0 one copy each, -1 not known */
	char flag[20];		/* the flag that decides it: "CLONE_VM" */
	int flag_set;		/* was that flag passed */
	char evidence[64];	/* how we know: "kcmp: same", "/proc/<tid>/ns/pid links" */
	uint64_t ptr[2];	/* the kernel's pointers (parent, child); 0: not known */
	int holder;		/* the box it hangs off (cred, nsproxy), -1: the task_struct */
	char own[16];		/* the child's own one is a: "copy", "fresh", "new", "new, nested" */
	char what[48];		/* the pointer and what it is: "->mm: the address space" */
};

struct pic_event {
	long t_ns;		/* from the parent's syscall */
	int cpu;
	int task;		/* PIC_PARENT, PIC_CHILD or PIC_OTHER */
	int kernel;		/* 1: seen by the kernel (a trace event), 0: by clonelab */
	char what[96];		/* the legend has room for about 92 characters */
	char kind[24];		/* the kernel's event kind ("switch_in"), or "" */
};

struct pic_step {		/* one step of the child's way out of the kernel */
	char what[200];
	int observed;		/* 1: seen in this trace; 0: from the kernel's source */
};

#define PIC_MAX_OBJ 16
#define PIC_MAX_EV 40
struct pic {
	char name[16];		/* "fork", "probe": also the prefix of every id */
	char call[96];		/* "clone3(VM|SIGHAND, SIGCHLD)" */
	struct pic_task task[2];	/* [PIC_PARENT], [PIC_CHILD] */
	int nobj;
	struct pic_object obj[PIC_MAX_OBJ];
	int nev;
	struct pic_event ev[PIC_MAX_EV];
	int parent_cpu, child_cpu;
	long latency_ns;		/* -1: not known */
	int nregs;			/* the register snapshot, for the tour's table */
	const char *const *reg_names;
	uint64_t regs[2][CL_SNAP_MAXREGS];
	const char *reg_why[CL_SNAP_MAXREGS];
	int parent_cpu_seen;		/* 1: parent_cpu is the kernel's (its syscall entry) */
	int nsteps;			/* the way out (--kernel), in order */
	struct pic_step step[8];
	struct pic_userns {		/* the user namespace's story (userns) */
		int on;
		unsigned uid, gid;	/* outside */
		int before, after, setuid0;	/* the child's uid before and after the map;
						 * setuid(0): 0 or -errno */
		char map[64];		/* its uid_map, blanks squeezed */
	} userns;
	int nkregs;			/* registers as copy_thread() built them (--kernel) */
	char kreg_name[8][12];
	uint64_t kreg[8];
};

/* ---- drawing (share.c, time.c, svg.c) ---- */
/* Each writes one <svg> element with its own <title>, <desc> and style. */
void pic_sharing_svg(struct cl_out *o, const struct pic *p);
/* narrow: the layout for a phone (360 units wide, drawn 1:1 at 390 CSS px); its ids
 * start "<name>-n-" so that both can sit in one page. */
void pic_sharing_svg_as(struct cl_out *o, const struct pic *p, int narrow);
void pic_timeline_svg(struct cl_out *o, const struct pic *p);
void pic_timeline_svg_as(struct cl_out *o, const struct pic *p, int narrow);
int pic_sharing_height(const struct pic *p);
int pic_timeline_height(const struct pic *p);
/* The user namespace's story (userns.c): nothing unless pic_userns filled it. */
void pic_userns_svg_as(struct cl_out *o, const struct pic *p, int narrow);
int pic_userns_height(const struct pic *p);
/* A standalone SVG document: both pictures, one above the other (and the user
 * namespace's story below them, when there is one). */
void pic_document(struct cl_out *o, const struct pic *p);

/* ---- filling it by hand (data.c) ---- */
void pic_tasks(struct pic *p, int ppid, int ptid, int cpid, int ctid);
/* Append an event (ignored past PIC_MAX_EV); the drawing orders them by time. */
void pic_event(struct pic *p, long t_ns, int cpu, int task, int kernel, const char *what);
/* A kernel event with its kind ("syscall_enter", "wakeup_new", "switch_in",
 * "parent_return", "child_syscall_exit"...): the timeline draws some kinds specially. */
void pic_kevent(struct pic *p, long t_ns, int cpu, int task, const char *kind, const char *what);
/* The box of a resource, by its name or its JSON key ("mm" or "vm", "signal" or
 * "thread_group", "user ns", "ns.user" or "user"); NULL if there is none. */
struct pic_object *pic_find(struct pic *p, const char *name);
/* The kernel's view of one resource (--kernel): its pointers in parent and child
 * decide, and are drawn. decided_by: e.g. "copy_mm: CLONE_VM", or NULL. 0, or -1 if
 * there is no such box or a pointer is 0. Set the tasks' task_struct directly. */
int pic_kernel_object(struct pic *p, const char *name, uint64_t parent, uint64_t child,
		      const char *decided_by);

/* ---- filling it from a clone (lab.c) ---- */
/* Start a picture for this command (clears the previous one); the scenarios' hooks do
 * nothing unless one was started. out: the --svg argument; "-" sends the SVG to stdout
 * and the usual report to /dev/null. Returns the picture. */
struct pic *pic_begin(const char *name, const char *out);
/* The picture or page goes to stdout ("-"): send the usual report to /dev/null. */
void pic_quiet_stdout(void);
/* In the child: wait (10 s at most) until the parent has looked at us. */
void pic_hold(void);
/* In the parent, while the child holds: kcmp and /proc, into the resource boxes. */
void pic_gather(const struct lab *l);
/* The boxes from what the kernel said (probe's struct lab_seen: kcmp rows vm fs files
 * sighand first, then the ns links) and the two thread group ids. same4: the caller's
 * verdicts for vm..sighand (probe adds the effects where kcmp fails), or NULL. */
void pic_verdicts(struct pic *p, uint64_t flags, const struct lab_seen *s, const int *same4,
		  int tgid_parent, int tgid_child);
/* userns: what the child saw (the current picture's story; nothing if none). */
void pic_userns(unsigned uid, unsigned gid, int before, int after, int setuid0, const char *map);
/* After the clone: the call, the CPUs, the latency, the two basic events, the registers. */
void pic_done(const struct lab *l);
/* "shared": {vm, fs, files, sighand, thread_group, ns: {...}} as drawn, if gathered. */
void pic_json(struct cl_json *j);
/* The picture being made, or NULL if none was started. */
struct pic *pic_current(void);
/* Write the --svg file given to pic_begin (both pictures). status: the command's; the
 * result is that, or 1 if the file could not be written (reported as cmd: ...). */
int pic_write_svg(int status, const char *cmd);

/* ---- output helpers (svg.c) ---- */
/* <svg id=id ...> with its <title>, <desc>, style, arrowhead (id-ah) and background. */
void svg_open(struct cl_out *o, const char *id, int w, int h, const char *title,
	      const char *desc);
void svg_text(struct cl_out *o, int x, int y, const char *cls, const char *anchor,
	      const char *s);
/* s wrapped at blanks to lines of at most n characters (a UTF-8 sequence counts
 * once; '\n' breaks), 16 units apart from y down; returns the y after the last line. */
int svg_wrap(struct cl_out *o, int x, int y, int n, const char *cls, const char *anchor,
	     const char *s);
/* Of n characters of 12 px text, how many of the 16 px headings fit. */
#define HEAD_CHARS(n) ((n) * 3 / 4)
/* A box (class "box cls"); data: more attributes, already escaped, or "". */
void svg_box(struct cl_out *o, const char *id, const char *cls, int x, int y, int w, int h,
	     const char *data);
/* An arrow (class "arrow cls") from box id `from` to box id `to`, with the arrowhead
 * of the <svg> whose id is svg_id. */
void svg_arrow(struct cl_out *o, const char *svg_id, const char *cls, int x1, int y1,
	       int x2, int y2, const char *from, const char *to);
/* XML/HTML-escaped text. */
void svg_esc(struct cl_out *o, const char *s);
/* printf into buf (truncated to size - 1), for labels. */
char *pic_fmt(char *buf, size_t size, const char *fmt, ...);

/* ---- the file a picture goes to (file.c) ---- */
/* Written whole or not at all: open path ("-": stdout) and get its cl_out (NULL and
 * *err = -errno if path cannot take it: a symlink, a FIFO no one reads, no such
 * directory); pic_file_close writes it out (a regular file: a temporary one beside it,
 * renamed over it) and returns 0 or -errno. One file at a time. */
struct cl_out *pic_file_open(const char *path, long *err);
long pic_file_close(void);
/* --json and a picture file (path; NULL or "-": none): the out to write the JSON to,
 * which holds it until pic_file_report or pic_json_done. */
struct cl_out *pic_json_hold(const char *path);
/* The end of a command with a picture: err, 0 or pic_file_open's or pic_file_close's
 * -errno. On an error: under --json the one object says it (the held JSON is dropped),
 * else "cmd: opt path: ENAME: why" on stderr; 1. Otherwise the held JSON goes out and
 * status is returned (pic_json_done). */
int pic_file_report(int status, long err, const char *cmd, const char *opt, const char *path);
/* The held JSON (if any) to stdout; status, or 1 if it did not fit (one error object). */
int pic_json_done(int status);

/* ---- the tour's page (tour.c) ---- */
/* --html FILE: open the page (0, or -1 reported), add one section per scenario
 * (status: its exit status; the current picture holds its data; text: its text report
 * as the terminal got it, or NULL), then write the file: the matrix of all the
 * scenarios first, then their sections; the tour's status, or 1 if the page could not
 * be written (reported). */
int tour_html_begin(const char *path);
void tour_html_section(const char *name, const char *story, int status, const char *text);
int tour_html_end(int status);
#endif
