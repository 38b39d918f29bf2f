/* pic.c: the pictures' drawing code on fixed data (deterministic, every verdict drawn
 * as its boxes and arrows, events on their CPUs' lanes), and `--svg -` from the real
 * clonelab, which in the guest runs on Debian's own kernels. */
#include "test.h"
#include "pic/pic.h"

static char (*a_p)[64 * 1024], (*b_p)[64 * 1024];	/* mapped (test.h) */
#define a T_MAPPED(a_p)
#define b T_MAPPED(b_p)

static void object(struct pic *p, const char *name, int same)
{
	struct pic_object *o = &p->obj[p->nobj++];
	cl_stpcpy(o->name, name);
	cl_stpcpy(o->key, cl_streq(name, "mm") ? "vm" : name);
	cl_stpcpy(o->flag, "CLONE_VM");
	cl_stpcpy(o->evidence, "kcmp: same");
	o->same = same, o->flag_set = same > 0, o->holder = -1;
	cl_stpcpy(o->own, "copy");
	cl_stpcpy(o->what, "->x: a test object");
}

static void sample(struct pic *p)
{
	memset(p, 0, sizeof *p);
	cl_stpcpy(p->name, "t");
	cl_stpcpy(p->call, "clone3(VM|SIGCHLD) & <escaped>");
	p->task[0] = (struct pic_task){ .pid = 100, .tid = 100 };
	p->task[1] = (struct pic_task){ .pid = 101, .tid = 101, .task_struct = 0xffff888012345678UL };
	object(p, "mm", 1);
	object(p, "fs", 0);
	object(p, "files", -1);
	p->parent_cpu = 1, p->child_cpu = 3, p->latency_ns = 41300;
	pic_event(p, 0, 1, PIC_PARENT, 0, "parent: clone3() enters the kernel");
	pic_event(p, 41300, 3, PIC_CHILD, 0, "child: its first instruction");
	pic_event(p, 20000, 2, PIC_OTHER, 1, "sched_wakeup_new");
	pic_event(p, 20100, 2, PIC_OTHER, 1, "sched_switch (close to the one before)");
}

static int count(const char *s, const char *needle)
{
	int n = 0;
	size_t k = cl_strlen(needle);
	for (; *s; s++)
		n += memcmp(s, needle, k) == 0;
	return n;
}

int t_pic_deterministic(void)
{
	static struct pic p;
	struct cl_out o;
	sample(&p);
	t_mem_out(&o, a, sizeof a);
	pic_document(&o, &p);
	t_mem_str(&o);
	ASSERT(o.len > 4000 && o.len < sizeof a - 1);
	t_mem_out(&o, b, sizeof b);
	pic_document(&o, &p);
	ASSERT_STREQ(t_mem_str(&o), a);
	/* shared: one box, two arrows; separate: two boxes, one arrow each; unknown: one
	 * box, two dotted arrows (one or two: not seen); and the timeline's one arrow,
	 * syscall to first instruction */
	ASSERT_EQ(count(a, "data-verdict=\"shared\" data-owner=\"both\""), 1);
	ASSERT_EQ(count(a, "data-verdict=\"separate\""), 2);
	ASSERT_EQ(count(a, "data-verdict=\"unknown\""), 1);
	ASSERT_EQ(count(a, "<path class=\"arrow"), 2 + 2 + 2);
	ASSERT_EQ(count(a, "<path class=\"arrow maybe"), 2);
	ASSERT_EQ(count(a, "<line class=\"arrow"), 1);
	ASSERT_HAS(a, "data-from=\"t-ev-1\" data-to=\"t-ev-4\"");	/* by time: 0, 20000, 20100, 41300 */
	ASSERT_EQ(count(a, ">CPU "), 3 + 4);	/* three lanes, four legend lines */
	ASSERT_EQ(count(a, "class=\"marker mk-kernel\""), 2 * 2);	/* lane and legend */
	ASSERT_HAS(a, "ffff888012345678");
	ASSERT_HAS(a, "&amp; &lt;escaped&gt;");
	ASSERT_EQ(count(a, "<title"), 3);
	ASSERT_EQ(count(a, "<desc"), 3);
	ASSERT(!json_has(a, "http://") || count(a, "http://") == count(a, "http://www.w3.org/2000/svg\""));
	return T_PASS;
}

/* The x and y of the <text> whose content is exactly label; 0 if found. */
static int text_at(const char *svg, const char *label, long *x, long *y)
{
	char pat[32];
	cl_stpcpy(cl_stpcpy(cl_stpcpy(pat, "\">"), label), "</text>");
	const char *s = svg;
	while (*s && !cl_startswith(s, pat + 1))
		s++;
	while (s > svg && !cl_startswith(s, "<text x=\""))
		s--;
	if (!cl_startswith(s, "<text x=\""))
		return -1;
	*x = *y = 0;
	for (s += 9; *s >= '0' && *s <= '9'; s++)
		*x = *x * 10 + (*s - '0');
	for (s += 5; *s >= '0' && *s <= '9'; s++)	/* past '" y="' */
		*y = *y * 10 + (*s - '0');
	return 0;
}

/* Two kernel events 100 ns apart on one lane: one x, their numbers one above the other. */
int t_pic_stacked_labels(void)
{
	static struct pic p;
	struct cl_out o;
	long x2, y2, x3, y3;
	sample(&p);
	t_mem_out(&o, a, sizeof a);
	pic_timeline_svg(&o, &p);
	t_mem_str(&o);
	ASSERT(text_at(a, "2", &x2, &y2) == 0 && text_at(a, "3", &x3, &y3) == 0);
	ASSERT(x3 - x2 < 5);
	ASSERT_EQ(y2 - y3, 14);
	return T_PASS;
}

/* What --kernel will do: the kernel's pointers decide and are drawn. */
int t_pic_kernel_view(void)
{
	static struct pic p;
	struct cl_out o;
	sample(&p);
	ASSERT(pic_find(&p, "vm") == &p.obj[0] && pic_find(&p, "mm") == &p.obj[0]);
	ASSERT(pic_find(&p, "nothing") == 0);
	ASSERT_EQ(pic_kernel_object(&p, "files", 0xffff888000aa0000UL, 0xffff888000bb0000UL,
				    "copy_files"), 0);
	ASSERT_EQ(p.obj[2].same, 0);
	ASSERT_EQ(pic_kernel_object(&p, "vm", 0xffff888000cc0000UL, 0xffff888000cc0000UL, 0), 0);
	ASSERT_EQ(p.obj[0].same, 1);
	ASSERT_EQ(pic_kernel_object(&p, "nothing", 1, 1, 0), -1);
	t_mem_out(&o, a, sizeof a);
	pic_sharing_svg(&o, &p);
	t_mem_str(&o);
	ASSERT_EQ(count(a, "data-verdict=\"unknown\""), 0);
	ASSERT_EQ(count(a, "data-verdict=\"separate\""), 4);
	ASSERT_HAS(a, "kernel pointers, copy_files<");
	ASSERT_HAS(a, ">kernel pointers: parent ffff888000aa0000, child ffff888000bb0000<");
	ASSERT_HAS(a, ">kernel pointer: both at ffff888000cc0000<");
	return T_PASS;
}

/* The real thing: `clonelab thread --svg -` and `fork --svg -` on this kernel. */
static int svg_of(const char *scn, const char *mm)
{
	char *argv[] = { (char *)CLONELAB_PATH(), (char *)scn, "--svg", "-", 0 };
	int r = t_run_status(argv, a, sizeof a);
	if (r < 0)
		return skip("cannot run clonelab here (no binfmt for this arch)");
	ASSERT_EQ(r, 0);
	ASSERT(cl_startswith(a, "<?xml"));
	ASSERT_HAS(a, "</g>\n</svg>\n");
	ASSERT_HAS(a, mm);
	ASSERT_HAS(a, "class=\"marker mk-child\"");
	return T_PASS;
}

int t_pic_thread_svg(void)
{
	return svg_of("thread", "data-name=\"mm\" data-verdict=\"shared\" data-owner=\"both\"");
}

int t_pic_fork_svg(void)
{
	return svg_of("fork", "data-name=\"mm\" data-verdict=\"separate\" data-owner=\"child\"");
}

/* The hex number in the JSON string after key ("\"child\":\"0x"), or 0. */
static unsigned long hex_after(const char *json, const char *key)
{
	size_t k = cl_strlen(key);
	unsigned long v = 0;
	for (const char *s = json; *s; s++)
		if (memcmp(s, key, k) == 0) {
			for (s += k; (*s >= '0' && *s <= '9') || ((*s | 32) >= 'a' && (*s | 32) <= 'f'); s++)
				v = v * 16 + (unsigned long)(*s <= '9' ? *s - '0' : (*s | 32) - 'a' + 10);
			return v;
		}
	return 0;
}

/* The SVG of a `--kernel --json --svg FILE` run has the JSON's kernel view: on a full
 * kernel (the guests) both task_structs and every object's two pointers, on a partial
 * one (tracepoints only) its events. */
int t_pic_kernel_svg(void)
{
	static char file[64];
	t_scratch(file, "pic-kernel.svg");
	static const char *const objs[] = { "mm", "fs", "files", "sighand", "signal", "user_ns",
		"uts_ns", "ipc_ns", "mnt_ns", "pid_ns", "net_ns", "time_ns", "cgroup_ns" };
	char *argv[] = { (char *)CLONELAB_PATH(), "thread", "--kernel", "--json", "--cpu", "0",
			 "--svg", (char *)file, 0 };
	char key[48], want[96];
	t_host_exclusive();
	if (SYS0(geteuid) != 0 || t_clonelab_under_qemu())
		return skip("no tracing here (not root, or QEMU user mode)");
	SYS3(unlinkat, AT_FDCWD, file, 0);
	int st = t_run_status(argv, a, sizeof a);
	if (st == -1 || st == 3)
		return skip("--kernel is not possible here");
	ASSERT_EQ(st, 0);
	ASSERT(cl_read_file(file, b, sizeof b) > 0);
	SYS3(unlinkat, AT_FDCWD, file, 0);
	ASSERT(count(b, "class=\"marker mk-kernel\"") >= 2 * 3);	/* lanes and legend */
	ASSERT(!json_has(b, "DISAGREE"));
	if (!json_has(a, "\"mode\":\"full\"")) {
		ASSERT_EQ(count(b, ">address not seen<"), 2);
		return T_PASS;
	}
	const char *task = a;
	while (*task && !cl_startswith(task, "\"task\":{\"parent\""))
		task++;
	for (int side = 0; side < 2; side++) {
		unsigned long t = hex_after(task, side ? "\"child\":\"0x" : "\"parent\":\"0x");
		ASSERT(t != 0);
		ASSERT_HAS(b, pic_fmt(want, sizeof want, ">at %lx</text>", t));
	}
	int seen = 0;
	for (unsigned i = 0; i < sizeof objs / sizeof objs[0]; i++) {
		const char *o = a;
		pic_fmt(key, sizeof key, "\"%s\":{\"parent\":\"0x", objs[i]);
		while (*o && memcmp(o, key, cl_strlen(key)))
			o++;
		if (!*o)
			continue;	/* not on this kernel (time, cgroup) */
		unsigned long p = hex_after(o, key), c = hex_after(o, "\"child\":\"0x");
		if (p == c)
			pic_fmt(want, sizeof want, ">kernel pointer: both at %lx<", p);
		else
			pic_fmt(want, sizeof want, ">kernel pointers: parent %lx, child %lx<", p, c);
		ASSERT_HAS(b, want);
		seen++;
	}
	ASSERT(seen >= 11);
	ASSERT_HAS(b, ">CLONE_VM set \xc2\xb7 kernel: same / kcmp: same<");
	return T_PASS;
}

/* svg_esc: markup escaped; a byte that is not UTF-8 (a kernel release is bytes) becomes
 * &#xNN;, a control character U+FFFD (XML has none); UTF-8 passes (attacks.md finding
 * 17: before, the byte went raw into a page declared UTF-8). */
int t_pic_esc_not_utf8(void)
{
	char buf[128];
	struct cl_out o;
	t_mem_out(&o, buf, sizeof buf);
	svg_esc(&o, "6.1\xff<&\x01" "\xc3\xa9\xe2\x82" "x\n");
	ASSERT_STREQ(t_mem_str(&o), "6.1&#xff;&lt;&amp;\xef\xbf\xbd" "\xc3\xa9&#xe2;&#x82;x\n");
	return T_PASS;
}
