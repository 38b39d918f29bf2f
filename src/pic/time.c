/* time.c: the timeline. One lane per CPU, time to the right from the parent's
 * syscall (t = 0). Each event is a numbered marker on its CPU's lane (a filled square
 * for the parent, a hollow one for the child, a bar for a kernel event) and a line of
 * the legend below. A lane is banded where one task ran between two of its events (the
 * same task at both ends); a dashed arrow goes from the parent's syscall to the child's
 * first instruction, another from the kernel's wake-up of the child to the switch into
 * it. With --kernel: the child's way out of the kernel, step by step, and the registers
 * copy_thread() built. Ticks fall on 1-2-5 steps; times are rounded, never cut.
 * Two layouts, like the sharing picture: wide (760) and narrow (360, a phone). */
#include "pic.h"

#define MAXLANE 16
#define MAXLVL 8
#define LBL_W 24		/* room for a marker's number */
#define CHARS(px) ((px) * 10 / 73)	/* 12 px characters in px */
#define CHARS13(px) ((px) * 10 / 79)	/* 13 px ones */

struct layout {
	int w, narrow, x0, x1;		/* t0 .. t1 map to x0 .. x1 */
	char pre[24];			/* the prefix of every id */
	int n, order[PIC_MAX_EV];	/* events by time */
	int level[PIC_MAX_EV];	/* how far above the lane its number sits */
	int nlane, cpu[MAXLANE], lane_y[MAXLANE];
	long t0, t1, step;
	int axis_y;
};

static int lane_of(const struct layout *L, int cpu)
{
	int k = 0;
	while (k < L->nlane - 1 && L->cpu[k] != cpu)
		k++;
	return k;
}

static int xpos(const struct layout *L, long t)
{
	return L->x0 + (int)((t - L->t0) * (L->x1 - L->x0) / (L->t1 - L->t0));
}

/* The tick step: 1, 2 or 5 times a power of ten (ns), at most 5 steps across. */
static long tick_step(long span)
{
	long s = 1;
	for (;;)
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
			if (span <= 5 * s * m)
				return s * m;
			else if (m == 5)
				s *= 10;
}

static long floor_to(long t, long s) { return t >= 0 ? t / s * s : -((-t + s - 1) / s * s); }

/* Order the events by time and the CPUs by number; give each number a level. */
static void lay_out(struct layout *L, const struct pic *p, int narrow, int top)
{
	L->narrow = narrow, L->w = narrow ? 360 : 760;
	L->x0 = narrow ? 64 : 90, L->x1 = L->w - 40;	/* room for the last tick's label */
	pic_fmt(L->pre, sizeof L->pre, "%s%s", p->name, narrow ? "-n" : "");
	L->n = p->nev, L->nlane = 0, L->t0 = 0, L->t1 = 1;
	for (int i = 0; i < p->nev; i++) {
		int j = i;
		while (j > 0 && p->ev[L->order[j - 1]].t_ns > p->ev[i].t_ns)
			L->order[j] = L->order[j - 1], j--;
		L->order[j] = i;
		int c = p->ev[i].cpu, k = 0;
		while (k < L->nlane && L->cpu[k] < c)
			k++;
		if ((k == L->nlane || L->cpu[k] != c) && L->nlane < MAXLANE) {
			memmove(&L->cpu[k + 1], &L->cpu[k], (size_t)(L->nlane - k) * sizeof L->cpu[0]);
			L->cpu[k] = c, L->nlane++;
		}
		if (p->ev[i].t_ns < L->t0)
			L->t0 = p->ev[i].t_ns;
		if (p->ev[i].t_ns > L->t1)
			L->t1 = p->ev[i].t_ns;
	}
	L->step = tick_step(L->t1 - L->t0);
	L->t0 = floor_to(L->t0, L->step);
	L->t1 = -floor_to(-L->t1, L->step);
	if (L->t1 <= L->t0)
		L->t1 = L->t0 + L->step;
	int last[MAXLANE][MAXLVL], maxlvl[MAXLANE] = { 0 };
	for (int k = 0; k < MAXLANE; k++)
		for (int v = 0; v < MAXLVL; v++)
			last[k][v] = -1000;
	for (int r = 0; r < L->n; r++) {
		int i = L->order[r], k = lane_of(L, p->ev[i].cpu), x = xpos(L, p->ev[i].t_ns), v = 0;
		while (v < MAXLVL - 1 && x - last[k][v] < LBL_W)
			v++;
		last[k][v] = x, L->level[i] = v;
		if (v > maxlvl[k])
			maxlvl[k] = v;
	}
	int y = top;
	for (int k = 0; k < L->nlane; k++) {
		L->lane_y[k] = y + 30 + 14 * maxlvl[k];
		y = L->lane_y[k] + 16;
	}
	L->axis_y = y + 8;
}

/* ns as "+41.3 µs" (rounded to 0.1 µs), or "+76.3 ms" from 10 ms on (slow TCG
 * guests); tick labels (whole: the step is whole units) without the decimal. */
static char *micros(char *buf, size_t size, long ns, int whole)
{
	unsigned long a = (unsigned long)(ns < 0 ? -ns : ns);
	int ms = a >= 10000000;
	unsigned long tenth = ms ? 100000 : 100, t = (a + tenth / 2) / tenth;
	const char *sign = ns < 0 ? "-" : "+", *unit = ms ? "ms" : "\xc2\xb5s";
	if (whole)
		return pic_fmt(buf, size, "%s%lu %s", sign, (t + 5) / 10, unit);
	return pic_fmt(buf, size, "%s%lu.%lu %s", sign, t / 10, t % 10, unit);
}

static const char *mark_class(const struct pic_event *e)
{
	return e->kernel ? "mk-kernel" : e->task == PIC_CHILD ? "mk-child" : "mk-parent";
}

static void marker(struct cl_out *o, const struct pic_event *e, const char *id, int x, int y)
{
	int k = e->kernel;
	cl_printf(o, "<rect");
	if (id)
		cl_printf(o, " id=\"%s\"", id);
	cl_printf(o, " class=\"marker %s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
		  mark_class(e), x - (k ? 2 : 6), y - (k ? 8 : 6), k ? 4 : 12, k ? 16 : 12);
}

/* Bands: where two events in a row on one lane are the same task's, it ran between. */
static void bands(struct cl_out *o, const struct pic *p, const struct layout *L)
{
	for (int k = 0; k < L->nlane; k++) {
		int prev = -1;
		for (int r = 0; r < L->n; r++) {
			const struct pic_event *e = &p->ev[L->order[r]];
			if (lane_of(L, e->cpu) != k)
				continue;
			if (prev >= 0) {
				const struct pic_event *a = &p->ev[L->order[prev]];
				int xa = xpos(L, a->t_ns), xb = xpos(L, e->t_ns);
				if (a->task == e->task && e->task != PIC_OTHER && xb > xa)
					cl_printf(o, "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
						  "y2=\"%d\"/>\n", e->task == PIC_CHILD ? "run-child" :
						  "run-parent", xa, L->lane_y[k] + 7, xb, L->lane_y[k] + 7);
			}
			prev = r;
		}
	}
}

static void lanes(struct cl_out *o, const struct layout *L)
{
	char t[32];
	for (int k = 0; k < L->nlane; k++) {
		int y = L->lane_y[k];
		svg_text(o, 10, y + 4, "b", "", L->cpu[k] < 0 ? "CPU ?" : pic_fmt(t, sizeof t, "CPU %d", L->cpu[k]));
		cl_printf(o, "<line class=\"lane\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
			  L->x0 - 14, y, L->x1 + 14, y);
	}
	cl_printf(o, "<line class=\"tick\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", L->x0,
		  L->axis_y, L->x1, L->axis_y);
	int nt = (int)((L->t1 - L->t0) / L->step);
	int whole = L->step % (L->t1 >= 10000000 || L->t0 <= -10000000 ? 1000000 : 1000) == 0;
	for (int q = 0; q <= nt; q++) {
		long tv = L->t0 + L->step * q;
		int x = xpos(L, tv);
		cl_printf(o, "<line class=\"tick\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", x,
			  L->axis_y - 4, x, L->axis_y + 4);
		/* on a phone every other label, so that they do not touch */
		if (!L->narrow || nt <= 3 || q % 2 == 0)
			svg_text(o, x, L->axis_y + 18, "small", "middle", micros(t, sizeof t, tv, whole));
	}
}

static int find_kind(const struct pic *p, const struct layout *L, const char *kind)
{
	for (int r = 0; r < L->n; r++)
		if (cl_streq(p->ev[L->order[r]].kind, kind))
			return r;
	return -1;
}

static void link(struct cl_out *o, const struct pic *p, const struct layout *L, int from, int to,
		 const char *cls)
{
	if (from < 0 || to < 0)
		return;
	const struct pic_event *a = &p->ev[L->order[from]], *b = &p->ev[L->order[to]];
	int wa = a->kernel ? 2 : 6, wb = b->kernel ? 2 : 6;
	int xa = xpos(L, a->t_ns) + wa, xb = xpos(L, b->t_ns) - wb;
	int ya = L->lane_y[lane_of(L, a->cpu)], yb = L->lane_y[lane_of(L, b->cpu)];
	if (xb - xa < 24)
		return;	/* too close to draw an arrow between them */
	char f[48], id[48], sid[48];
	pic_fmt(f, sizeof f, "%s-ev-%d", L->pre, from + 1);
	pic_fmt(id, sizeof id, "%s-ev-%d", L->pre, to + 1);
	svg_arrow(o, pic_fmt(sid, sizeof sid, "%s-timeline", L->pre), cls, xa, ya, xb, yb, f, id);
}

/* Markers with their numbers; the arrows: syscall to first instruction, wake-up to switch. */
static void events(struct cl_out *o, const struct pic *p, const struct layout *L)
{
	char id[48], t[16];
	int from = -1, to = -1;
	for (int r = 0; r < L->n; r++) {
		int i = L->order[r];
		const struct pic_event *e = &p->ev[i];
		int k = lane_of(L, e->cpu), x = xpos(L, e->t_ns), y = L->lane_y[k];
		marker(o, e, pic_fmt(id, sizeof id, "%s-ev-%d", L->pre, r + 1), x, y);
		svg_text(o, x, y - 12 - 14 * L->level[i], "small", "middle", pic_fmt(t, sizeof t, "%d", r + 1));
		if (!e->kernel && e->task == PIC_PARENT && from < 0)
			from = r;
		if (!e->kernel && e->task == PIC_CHILD && to < 0)
			to = r;
	}
	link(o, p, L, from, to, "dashed");
	link(o, p, L, find_kind(p, L, "wakeup_new"), find_kind(p, L, "switch_in"), "dashed wake");
}

static int legend(struct cl_out *o, const struct pic *p, const struct layout *L, int y)
{
	char t[200], us[32];
	int n = CHARS(L->w - 20);
	y = svg_wrap(o, 10, y, CHARS13(L->w - 20), "", "", p->latency_ns < 0 ? "latency: not seen" :
		     pic_fmt(t, sizeof t, "latency: %s from the parent's syscall to the child's "
			     "first instruction", micros(us, sizeof us, p->latency_ns, 0)));
	for (int r = 0; r < L->n; r++) {
		const struct pic_event *e = &p->ev[L->order[r]];
		marker(o, e, 0, 18, y - 4);	/* columns: SVG collapses runs of blanks */
		svg_text(o, 48, y, "", "end", pic_fmt(t, sizeof t, "%d", r + 1));
		svg_text(o, 140, y, "", "end", micros(us, sizeof us, e->t_ns, 0));
		svg_text(o, 152, y, "", "", pic_fmt(t, sizeof t, "CPU %d", e->cpu));
		if (L->narrow)	/* the words on lines of their own */
			y = svg_wrap(o, 60, y + 16, CHARS13(L->w - 70), "what", "", e->what) + 4;
		else
			y = svg_wrap(o, 216, y, CHARS13(L->w - 226), "what", "", e->what);
	}
	y = svg_wrap(o, 10, y + 4, n, "small", "", "Bands under a lane: the parent (blue) or the "
		     "child (orange) ran there between two of its own events.");
	if (p->parent_cpu_seen)
		y = svg_wrap(o, 10, y, n, "small", "", pic_fmt(t, sizeof t, "The parent's CPU is the "
			     "kernel's: CPU %d at its syscall entry.", p->parent_cpu));
	else if (!p->nsteps)
		y = svg_wrap(o, 10, y, n, "small", "", "Without --kernel: what clonelab's own counter "
			     "saw, the parent's CPU from getcpu() just before its syscall.");
	return y;
}

/* The child's way out of the kernel, top to bottom, each step a box; and what
 * copy_thread() put in its pt_regs. */
static int way_out(struct cl_out *o, const struct pic *p, const struct layout *L, int y)
{
	char t[240], id[48], prev[48], sid[48];
	int n = CHARS(L->w - 60);
	if (!p->nsteps)
		return y;
	pic_fmt(sid, sizeof sid, "%s-timeline", L->pre);
	y = svg_wrap(o, 10, y + 10, CHARS13(L->w - 20), "b", "", "The child's way out of the kernel "
		     "(solid: seen in this trace; thin: from the kernel's source):");
	for (int i = 0; i < p->nsteps; i++) {
		char tmp[256];
		struct cl_out null = { -1, 0, sizeof tmp, tmp };
		pic_fmt(t, sizeof t, "%d. %s: %s", i + 1, p->step[i].observed ? "seen" : "source",
			p->step[i].what);
		int h = svg_wrap(&null, 0, 0, n, "", "", t) + 8;
		pic_fmt(id, sizeof id, "%s-step-%d", L->pre, i + 1);
		svg_box(o, id, p->step[i].observed ? "step seen" : "step", 20, y, L->w - 40, h, "");
		if (i)
			svg_arrow(o, sid, "", L->w / 2, y - 14, L->w / 2, y, prev, id);
		svg_wrap(o, 30, y + 17, n, "small", "", t);
		y += h + 14;
		memcpy(prev, id, sizeof prev);
	}
	if (p->nkregs) {
		y = svg_wrap(o, 10, y + 4, CHARS13(L->w - 20), "b", "", "The child's pt_regs as "
			     "copy_thread() built them (read at wake_up_new_task):");
		for (int r = 0; r < p->nkregs; r++)
			y = svg_wrap(o, 30, y, CHARS(L->w - 40), "small", "", pic_fmt(t, sizeof t,
				     "%-10s %lx", p->kreg_name[r], p->kreg[r]));
	}
	return y;
}

static int draw(struct cl_out *o, const struct pic *p, struct layout *L, int narrow)
{
	char t[160];
	int n = CHARS((narrow ? 360 : 760) - 20);
	int y = svg_wrap(o, 10, 22, HEAD_CHARS(n), "head", "", pic_fmt(t, sizeof t, "%s: where the "
			 "clone ran, and when", p->name));
	y = svg_wrap(o, 10, y + 4, n, "small", "", "One lane per CPU, time to the right from the "
			 "parent's syscall. Filled square: the parent; hollow square: the child; bar: "
			 "a kernel event. Dashed arrows: from the syscall to the child's first "
			 "instruction, and from the kernel's wake-up of the child to the switch into it.");
	lay_out(L, p, narrow, y - 16);
	bands(o, p, L);
	lanes(o, L);
	events(o, p, L);
	y = legend(o, p, L, L->axis_y + 44);
	return way_out(o, p, L, y) + 10;
}

static int height(const struct pic *p, int narrow)
{
	static struct layout L;	/* .bss: it is not small */
	char tmp[512];
	struct cl_out null = { -1, 0, sizeof tmp, tmp };
	return draw(&null, p, &L, narrow);
}

int pic_timeline_height(const struct pic *p) { return height(p, 0); }

void pic_timeline_svg_as(struct cl_out *o, const struct pic *p, int narrow)
{
	static struct layout L;
	char id[48], t[160], desc[240];
	int h = height(p, narrow);
	pic_fmt(id, sizeof id, "%s%s-timeline", p->name, narrow ? "-n" : "");
	pic_fmt(t, sizeof t, "%s: where the clone ran, and when", p->name);
	pic_fmt(desc, sizeof desc, "%d event(s). The parent's syscall on CPU %d at 0%s; the child's "
		"first instruction on CPU %d, %ld ns later.", p->nev, p->parent_cpu,
		p->parent_cpu_seen ? " (the kernel's)" : "", p->child_cpu, p->latency_ns);
	svg_open(o, id, narrow ? 360 : 760, h, t, desc);
	draw(o, p, &L, narrow);
	cl_printf(o, "</svg>\n");
}

void pic_timeline_svg(struct cl_out *o, const struct pic *p) { pic_timeline_svg_as(o, p, 0); }

/* Both pictures in one file: an outer <svg> that stacks them. */
void pic_document(struct cl_out *o, const struct pic *p)
{
	char t[80];
	int h1 = pic_sharing_height(p), h2 = pic_timeline_height(p), h3 = pic_userns_height(p);
	cl_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	cl_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"%d\" "
		  "viewBox=\"0 0 760 %d\">\n<title>", h1 + h2 + h3, h1 + h2 + h3);
	svg_esc(o, pic_fmt(t, sizeof t, "clonelab %s: sharing and timeline", p->name));
	cl_printf(o, "</title>\n<desc>");
	svg_esc(o, p->call);
	cl_printf(o, "</desc>\n");
	pic_sharing_svg(o, p);
	cl_printf(o, "<g transform=\"translate(0,%d)\">\n", h1);
	pic_timeline_svg(o, p);
	cl_printf(o, "</g>\n");
	if (h3) {
		cl_printf(o, "<g transform=\"translate(0,%d)\">\n", h1 + h2);
		pic_userns_svg_as(o, p, 0);
		cl_printf(o, "</g>\n");
	}
	cl_printf(o, "</svg>\n");
}
