/* time.c: the timeline. One lane per CPU, time to the right from the parent's
 * syscall (t = 0). Each event is a numbered marker on its CPU's lane (a filled square
 * for the parent, a hollow one for the child, a bar for a kernel event) and a line of
 * the legend below; a dashed arrow goes from the parent's syscall to the child's first
 * instruction. Numbers that would collide are stacked above the lane. */
#include "pic.h"

#define W 900
#define X0 110			/* t0 .. t1 map to X0 .. X1 */
#define X1 860
#define MAXLANE 16
#define MAXLVL 8
#define LBL_W 24		/* room for a marker's number */

struct layout {
	int n, order[PIC_MAX_EV];	/* events by time */
	int level[PIC_MAX_EV];	/* how far above the lane its number sits */
	int nlane, cpu[MAXLANE], lane_y[MAXLANE], top[MAXLANE];
	long t0, t1;
	int axis_y, h;
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
	return X0 + (int)((t - L->t0) * (X1 - X0) / (L->t1 - L->t0));
}

/* Order the events by time and the CPUs by number; give each number a level. */
static void lay_out(struct layout *L, const struct pic *p)
{
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
	int y = 70;
	for (int k = 0; k < L->nlane; k++) {
		L->top[k] = y;
		L->lane_y[k] = y + 30 + 14 * maxlvl[k];
		y = L->lane_y[k] + 16;
	}
	L->axis_y = y + 8;
	L->h = L->axis_y + 64 + 16 * L->n + 10;
}

/* "+41.3 µs", or "+76.3 ms" from 10 ms on (the slow TCG guests) */
static char *micros(char *buf, size_t size, long ns)
{
	unsigned long a = (unsigned long)(ns < 0 ? -ns : ns);
	int ms = a >= 10000000;
	unsigned long unit = ms ? 1000000 : 1000;
	return pic_fmt(buf, size, "%s%lu.%lu %s", ns < 0 ? "-" : "+", a / unit,
		       a % unit / (unit / 10), ms ? "ms" : "\xc2\xb5s");
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

static void lanes(struct cl_out *o, const struct layout *L)
{
	char t[32];
	for (int k = 0; k < L->nlane; k++) {
		int y = L->lane_y[k];
		svg_text(o, 10, y + 4, "b", "", L->cpu[k] < 0 ? "CPU ?" : pic_fmt(t, sizeof t, "CPU %d", L->cpu[k]));
		cl_printf(o, "<line class=\"lane\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
			  X0 - 14, y, X1 + 14, y);
	}
	cl_printf(o, "<line class=\"tick\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", X0,
		  L->axis_y, X1, L->axis_y);
	for (int q = 0; q <= 4; q++) {
		int x = X0 + (X1 - X0) * q / 4;
		cl_printf(o, "<line class=\"tick\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", x,
			  L->axis_y - 4, x, L->axis_y + 4);
		svg_text(o, x, L->axis_y + 18, "small", "middle",
			 micros(t, sizeof t, L->t0 + (L->t1 - L->t0) * q / 4));
	}
}

/* Markers with their numbers, and the arrow from the syscall to the first instruction. */
static void events(struct cl_out *o, const struct pic *p, const struct layout *L)
{
	char id[40], t[16];
	int from = -1, to = -1;
	for (int r = 0; r < L->n; r++) {
		int i = L->order[r];
		const struct pic_event *e = &p->ev[i];
		int k = lane_of(L, e->cpu), x = xpos(L, e->t_ns), y = L->lane_y[k];
		marker(o, e, pic_fmt(id, sizeof id, "%s-ev-%d", p->name, r + 1), x, y);
		svg_text(o, x, y - 12 - 14 * L->level[i], "small", "middle", pic_fmt(t, sizeof t, "%d", r + 1));
		if (!e->kernel && e->task == PIC_PARENT && from < 0)
			from = r;
		if (!e->kernel && e->task == PIC_CHILD && to < 0)
			to = r;
	}
	if (from < 0 || to < 0)
		return;
	const struct pic_event *a = &p->ev[L->order[from]], *b = &p->ev[L->order[to]];
	int xa = xpos(L, a->t_ns) + 6, xb = xpos(L, b->t_ns) - 6;
	int ya = L->lane_y[lane_of(L, a->cpu)], yb = L->lane_y[lane_of(L, b->cpu)];
	if (xb - xa < 24)
		return;	/* too close to draw an arrow between them */
	char f[40], sid[40];
	pic_fmt(f, sizeof f, "%s-ev-%d", p->name, from + 1);
	svg_arrow(o, pic_fmt(sid, sizeof sid, "%s-timeline", p->name), "dashed", xa, ya, xb, yb, f, pic_fmt(id, sizeof id, "%s-ev-%d",
		  p->name, to + 1));
}

static void legend(struct cl_out *o, const struct pic *p, const struct layout *L)
{
	char t[160], us[32];
	int y = L->axis_y + 40;
	svg_text(o, 10, y, "", "", p->latency_ns < 0 ? "latency: not known" :
		 pic_fmt(t, sizeof t, "latency: %s from the parent's syscall to the child's first "
			 "instruction", micros(us, sizeof us, p->latency_ns)));
	for (int r = 0; r < L->n; r++) {
		const struct pic_event *e = &p->ev[L->order[r]];
		y += 16;
		marker(o, e, 0, 18, y - 4);	/* columns: SVG collapses runs of blanks */
		svg_text(o, 48, y, "", "end", pic_fmt(t, sizeof t, "%d", r + 1));
		svg_text(o, 150, y, "", "end", micros(us, sizeof us, e->t_ns));
		svg_text(o, 166, y, "", "", pic_fmt(t, sizeof t, "CPU %d", e->cpu));
		svg_text(o, 236, y, "", "", e->what);
	}
}

void pic_timeline_svg(struct cl_out *o, const struct pic *p)
{
	static struct layout L;	/* .bss: it is not small */
	char id[40], t[160], desc[200];
	lay_out(&L, p);
	pic_fmt(id, sizeof id, "%s-timeline", p->name);
	pic_fmt(t, sizeof t, "%s: where the clone ran, and when", p->name);
	pic_fmt(desc, sizeof desc, "%d CPU lane(s), %d event(s). The parent's syscall on CPU %d "
		"at 0; the child's first instruction on CPU %d, %ld ns later.", L.nlane, L.n,
		p->parent_cpu, p->child_cpu, p->latency_ns);
	svg_open(o, id, W, L.h, t, desc);
	svg_text(o, 10, 22, "head", "", t);
	svg_text(o, 10, 42, "small", "", "One lane per CPU, time to the right from the parent's "
		 "syscall. Filled square: the parent; hollow");
	svg_text(o, 10, 56, "small", "", "square: the child; bar: a kernel event. Dashed arrow: "
		 "from the syscall to the child's first instruction.");
	lanes(o, &L);
	events(o, p, &L);
	legend(o, p, &L);
	cl_printf(o, "</svg>\n");
}

int pic_timeline_height(const struct pic *p)
{
	static struct layout L;
	lay_out(&L, p);
	return L.h;
}

/* Both pictures in one file: an outer <svg> that stacks them. */
void pic_document(struct cl_out *o, const struct pic *p)
{
	char t[80];
	int h1 = pic_sharing_height(p), h2 = pic_timeline_height(p);
	cl_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	cl_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		  "viewBox=\"0 0 %d %d\">\n<title>", W, h1 + h2, W, h1 + h2);
	svg_esc(o, pic_fmt(t, sizeof t, "clonelab %s: sharing and timeline", p->name));
	cl_printf(o, "</title>\n<desc>");
	svg_esc(o, p->call);
	cl_printf(o, "</desc>\n");
	pic_sharing_svg(o, p);
	cl_printf(o, "<g transform=\"translate(0,%d)\">\n", h1);
	pic_timeline_svg(o, p);
	cl_printf(o, "</g>\n</svg>\n");
}
