/* share.c: the sharing picture, the kernel's own object graph. The two task_structs
 * side by side at the top, each with what is never shared (tid and tgid, group_leader,
 * real_parent, the TLS pointer, the kernel stack with pt_regs at its top and the saved
 * context); below them a row per object a task_struct points to: mm, fs, files,
 * sighand, signal, cred (and the user namespace it points to), nsproxy (and the
 * namespaces it points to, folded into one row when none differs). Where both point
 * to one object, one solid box with a pointer from each; where each has its own, two
 * dashed boxes, one pointer each. Under each row: the flag that decides it, and how
 * clonelab knows.
 *
 * Two layouts from one drawing: wide (760 units: desktops, the README) and narrow
 * (360 units: a phone at 390 CSS px draws it 1:1, so 12-unit text stays 12 px). */
#include "pic.h"

struct geo {
	int w;			/* the viewBox's width */
	int narrow;
	int chars;		/* characters of 12 px text across the picture */
	int tx[2], tw;		/* the task boxes' x and width */
	int ox0, ox1;		/* the objects' column: ox0 .. w - ox0 */
	int y;			/* the pen: the next free y */
	int task_bottom;
	char pre[24];		/* the prefix of every id: "fork", "fork-n" (narrow) */
};

/* The pen's text: 13 px for names, 12 for the rest (never smaller: a phone at 390 CSS px
 * draws the narrow layout 1:1). DejaVu Sans Mono is 0.602 em wide. */
#define CHARS(px) ((px) * 10 / 73)	/* 12 px characters in px */
#define LINE 16

static void geo_init(struct geo *g, int narrow)
{
	g->narrow = narrow;
	g->w = narrow ? 360 : 760;
	g->chars = CHARS(g->w - 20);
	g->tw = narrow ? 172 : 360;
	g->tx[0] = narrow ? 6 : 10;
	g->tx[1] = g->w - g->tx[0] - g->tw;
	g->ox0 = narrow ? 34 : 48;
	g->ox1 = g->w - g->ox0;
}

static void geo_name(struct geo *g, const struct pic *p)
{
	pic_fmt(g->pre, sizeof g->pre, "%s%s", p->name, g->narrow ? "-n" : "");
}

static const char *reg_name(const struct pic *p, int i)
{
	return p->reg_names && i < p->nregs ? p->reg_names[i] : "?";
}

/* One task: what it alone has. Returns the y below its last line (o may write
 * nowhere: that measures it). */
static int task_box(struct cl_out *o, const struct pic *p, struct geo *g, int side, int top)
{
	char id[40], t[96], a[96], b[96], c[96], d[96], tmp[256];
	struct cl_out null = { -1, 0, sizeof tmp, tmp };
	const struct pic_task *k = &p->task[side];
	int x = g->tx[side], tx = x + 10, n = CHARS(g->tw - 20), y = top + 20;
	pic_fmt(id, sizeof id, "%s-task-%s", g->pre, side ? "child" : "parent");
	svg_box(o, id, "task", x, top, g->tw, g->task_bottom - top,
		side ? "data-task=\"child\"" : "data-task=\"parent\"");
	svg_text(o, tx, y, "b", "", side ? "child's task_struct" : "parent's task_struct");
	y += LINE;
	svg_text(o, tx, y, "small", "", k->task_struct ? pic_fmt(t, sizeof t, "at %lx",
		 k->task_struct) : "address not seen");
	y += LINE + 4;
	y = svg_wrap(o, tx, y, n * 73 / 79, "", "", pic_fmt(t, sizeof t, "tid %d, tgid %d", k->tid, k->pid));
	if (k->inner_tid && k->inner_tid != k->tid)
		y = svg_wrap(o, tx, y, n, "small", "", pic_fmt(t, sizeof t, "tid %d inside its own "
			     "pid namespace: %d outside is 1 inside", k->inner_tid, k->tid));
	y = svg_wrap(o, tx, y, n, "small", "", pic_fmt(t, sizeof t, "group_leader: tid %d%s", k->pid,
		     k->pid == k->tid ? " (itself)" : ""));
	y = svg_wrap(o, tx, y, n, "small", "", k->ppid ? pic_fmt(t, sizeof t, "real_parent: pid %d",
		     k->ppid) : "real_parent: not seen");
	if (p->nregs > CL_REG_TP)
		y = svg_wrap(o, tx, y, n, "small", "", pic_fmt(t, sizeof t, "TLS pointer (%s): %lx",
			     reg_name(p, CL_REG_TP), p->regs[side][CL_REG_TP]));
	/* the kernel stack: pt_regs at its top (what user mode gets back), then the saved
	 * context the scheduler switches on; measured first, so that the boxes go under */
	int sx = tx, sw = g->tw - 20, sy = y - 6, m = CHARS(sw - 12);
	pic_fmt(a, sizeof a, k->stack ? "kernel stack at %lx" : "kernel stack", k->stack);
	if (k->pt_regs)
		pic_fmt(b, sizeof b, "top: pt_regs at %lx, %s = %ld", k->pt_regs, reg_name(p, CL_REG_RET),
			(long)p->regs[side][CL_REG_RET]);
	else if (p->nregs > CL_REG_RET)
		pic_fmt(b, sizeof b, "top: pt_regs, %s = %ld", reg_name(p, CL_REG_RET),
			(long)p->regs[side][CL_REG_RET]);
	else
		pic_fmt(b, sizeof b, "top: pt_regs");
	pic_fmt(c, sizeof c, "saved context (switch_to):");
	pic_fmt(d, sizeof d, k->ksp ? "stack pointer %lx" : side ? "its stack pointer: not seen" :
		"only while switched out", k->ksp);
	int ya = svg_wrap(&null, 0, sy + 16, m, "", "", a), y1 = svg_wrap(&null, 0, ya, m, "", "", b);
	int y2 = svg_wrap(&null, 0, svg_wrap(&null, 0, y1 + 6, m, "", "", c), m, "", "", d);
	pic_fmt(id, sizeof id, "%s-kstack-%s", g->pre, side ? "child" : "parent");
	cl_printf(o, "<rect id=\"%s\" class=\"kstack\" x=\"%d\" y=\"%d\" width=\"%d\" "
		  "height=\"%d\" rx=\"3\"/>\n", id, sx, sy, sw, y2 - 16 + 8 - sy);
	cl_printf(o, "<rect class=\"ptregs\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
		  sx, sy, sw, y1 - 16 + 8 - sy);
	svg_wrap(o, sx + 6, sy + 16, m, "small", "", a);
	svg_wrap(o, sx + 6, ya, m, "small", "", b);
	y = svg_wrap(o, sx + 6, svg_wrap(o, sx + 6, y1 + 6, m, "small", "", c), m, "small", "", d);
	return y - 16 + 8 + 10;
}

static int task_height(const struct pic *p, struct geo *g)
{
	char tmp[256];
	struct cl_out null = { -1, 0, sizeof tmp, tmp };
	g->task_bottom = 10000;
	int h = 0;
	for (int side = 0; side < 2; side++) {
		int y = task_box(&null, p, g, side, 0);
		if (y > h)
			h = y;
	}
	return h;
}

/* ---- the objects ---- */
static int in_nsproxy(const struct pic_object *b)
{
	return b->holder >= 0 && cl_startswith(b->key, "ns.") && !cl_streq(b->key, "ns.user");
}

/* Fold the namespaces under nsproxy into one row when they are all one verdict and
 * none has the kernel's pointers to show. */
static int folded(const struct pic *p)
{
	int v = 2;
	for (int i = 0; i < p->nobj; i++) {
		const struct pic_object *b = &p->obj[i];
		if (!in_nsproxy(b))
			continue;
		if (b->ptr[0] || (v != 2 && b->same != v) || b->same == 0)
			return 0;
		v = b->same;
	}
	return v != 2;
}

static const char *verdict(int same) { return same > 0 ? "shared" : same < 0 ? "unknown" : "separate"; }

/* The text of an object's box. */
static const char *box_label(char *t, size_t n, const struct pic_object *b, int side, int fold)
{
	if (b->same > 0)
		return pic_fmt(t, n, fold ? "one each, shared" : "one %s, shared", b->name);
	if (b->same < 0)
		return pic_fmt(t, n, "not seen: one or two?");
	if (!side)
		return "parent's";
	return pic_fmt(t, n, "child's%s%s", cl_streq(b->own, "copy") ? " " : ", ", b->own);
}

/* An arrow: a path from (x1,y1) down to y2, then across to x2 (or a straight line when
 * y1 == y2), from box `from` to box `to`. */
static void elbow(struct cl_out *o, const struct geo *g, const char *cls, int x1, int y1,
		  int x2, int y2, const char *from, const char *to)
{
	cl_printf(o, "<path class=\"arrow %s\" d=\"M%d,%dL%d,%dL%d,%d\" marker-end=\"url(#%s-sharing-ah)\" "
		  "data-from=\"%s\" data-to=\"%s\"/>\n", cls, x1, y1, x1, y2, x2, y2, g->pre, from, to);
}

struct placed { int x[2], w[2], y, h; char id[2][48]; int two; };
static struct placed placed[PIC_MAX_OBJ];

/* The user stacks drawn inside mm: each task's sp, in its own mm or in the one they
 * share. Into buf[0..1]; how many. */
static int mm_stacks(const struct pic *p, const struct pic_object *b, char buf[2][64])
{
	if (!cl_streq(b->key, "vm") || p->nregs <= CL_REG_SP || b->same < 0)
		return 0;
	if (b->same != 1) {
		for (int side = 0; side < 2; side++)
			pic_fmt(buf[side], 64, "user stack: sp %lx", p->regs[side][CL_REG_SP]);
		return 1;
	}
	for (int side = 0; side < 2; side++)
		pic_fmt(buf[side], 64, "%s's user stack: sp %lx", side ? "child" : "parent",
			p->regs[side][CL_REG_SP]);
	return 2;
}

/* One row: the pointer's name, the box or boxes, their arrows, the evidence. */
static void row(struct cl_out *o, const struct pic *p, struct geo *g, int i, int fold)
{
	const struct pic_object *b = &p->obj[i];
	struct placed *pl = &placed[i];
	char t[200], data[160], from[2][48];
	int sub = b->holder >= 0, ind = sub ? 28 : 0;
	int x0 = g->ox0 + ind, x1 = g->ox1 - ind, mid = g->w / 2;
	char stk[2][64], tmp[256];
	struct cl_out null = { -1, 0, sizeof tmp, tmp };
	int ns = mm_stacks(p, b, stk), sn = CHARS((b->same ? x1 - x0 : mid - 5 - x0) - 10);
	int bh = 26;
	for (int l = 0; l < ns; l++)	/* the taller of the two, when each has its own */
		bh += svg_wrap(&null, 0, 0, sn, "", "", stk[l]) * (ns == 2 || l == 0);
	int y = g->y + 14;
	/* the heading: which pointer */
	if (fold && in_nsproxy(b))
		pic_fmt(t, sizeof t, "nsproxy->uts, ipc, mnt, pid, net, cgroup, time: the other namespaces");
	else
		pic_fmt(t, sizeof t, "%s", b->what);
	y = svg_wrap(o, x0, y, g->chars - (x0 - 10) / 7, "b small", "", t) - 4;
	pl->y = y, pl->h = bh;
	pl->two = b->same == 0;
	for (int side = 0; side < 2; side++) {
		if (!sub)
			pic_fmt(from[side], sizeof from[side], "%s-task-%s", g->pre, side ? "child" : "parent");
		else
			pic_fmt(from[side], sizeof from[side], "%s", placed[b->holder].id[placed[b->holder].two ? side : 0]);
	}
	const char *name = fold && in_nsproxy(b) ? "uts ns+ipc ns+mnt ns+pid ns+net ns+cgroup ns+time ns" : b->name;
	for (int side = 0; side < 1 + pl->two; side++) {
		int x = pl->two ? (side ? mid + 5 : x0) : x0, w = pl->two ? mid - 5 - x0 : x1 - x0;
		pl->x[side] = x, pl->w[side] = w;
		pic_fmt(pl->id[side], sizeof pl->id[side], "%s-obj-%d%s", g->pre, i,
			pl->two ? (side ? "-child" : "-parent") : "");
		pic_fmt(data, sizeof data, "data-name=\"%s\" data-verdict=\"%s\" data-owner=\"%s\"", name,
			verdict(b->same), pl->two ? (side ? "child" : "parent") : "both");
		const char *cls = b->same > 0 ? "shared" : b->same < 0 ? "unknown" :
			side && !cl_streq(b->own, "copy") ? "fresh" : "copy";
		svg_box(o, pl->id[side], cls, x, y, w, bh, data);
		svg_text(o, x + w / 2, y + 17, "b", "middle", box_label(t, sizeof t, b, side, fold && in_nsproxy(b)));
		for (int l = 0, ly = y + 17 + LINE; l < ns; l++)
			ly = svg_wrap(o, x + w / 2, ly, sn, "small", "middle", stk[pl->two ? side : l]);
	}
	/* the pointers: from each task (or from its holder) to its box */
	for (int side = 0; side < 2; side++) {
		const char *cls = b->same < 0 ? "maybe" : b->same == 0 ? "dashed" : "";
		int k = pl->two ? side : 0, yc = y + 13;
		int ex = side ? pl->x[k] + pl->w[k] : pl->x[k];
		int sx, sy;
		if (!sub) {
			sx = side ? g->tx[1] + g->tw - 14 : g->tx[0] + 14, sy = g->task_bottom;
		} else {
			const struct placed *h = &placed[b->holder];
			int hk = h->two ? side : 0;
			if (!h->two && side && !pl->two)
				continue;	/* one holder, one box: one pointer */
			sx = side ? h->x[hk] + h->w[hk] - 7 : h->x[hk] + 7, sy = h->y + h->h;
			if (!h->two && pl->two)	/* one holder pointing to two: should not be */
				sx = h->x[0] + (side ? h->w[0] - 7 : 7);
		}
		elbow(o, g, cls, sx, sy, ex, yc, from[side], pl->id[k]);
	}
	y += bh + 16;
	/* how we know (indented: the pointers to the rows below run down its left) */
	x0 += 14;
	if (fold && in_nsproxy(b)) {
		int any = 0;
		for (int k = 0; k < p->nobj; k++)
			any |= in_nsproxy(&p->obj[k]) && p->obj[k].flag_set;
		pic_fmt(t, sizeof t, "CLONE_NEWUTS, NEWIPC, NEWNS, NEWPID, NEWNET, NEWCGROUP, NEWTIME: "
			"%s \xc2\xb7 /proc/<tid>/ns/*: one link each", any ? "some set" : "none set");
	} else {
		pic_fmt(t, sizeof t, "%s %s \xc2\xb7 %s", b->flag, b->flag_set ? "set" : "not set",
			b->evidence);
	}
	y = svg_wrap(o, x0, y, CHARS(x1 - x0), "small", "", t);
	if (b->ptr[0] && b->ptr[1]) {
		if (b->ptr[0] == b->ptr[1])
			pic_fmt(t, sizeof t, "kernel pointer: both at %lx", b->ptr[0]);
		else
			pic_fmt(t, sizeof t, "kernel pointers: parent %lx, child %lx", b->ptr[0], b->ptr[1]);
		y = svg_wrap(o, x0, y, CHARS(x1 - x0), "small", "", t);
	}
	g->y = y;
}

/* For <desc>: "Shared: mm fs. One each: files. Not seen: io." */
static void describe(char *buf, size_t size, const struct pic *p)
{
	struct cl_out m = { -1, 0, (unsigned)size - 1, buf };
	cl_printf(&m, "%s. Parent tid %d tgid %d, child tid %d tgid %d.", p->call, p->task[0].tid,
		  p->task[0].pid, p->task[1].tid, p->task[1].pid);
	static const char *const what[3] = { " One each:", " Shared:", " Not seen:" };
	for (int v = 1; v >= -1; v--) {
		int any = 0;
		for (int i = 0; i < p->nobj; i++)
			if (p->obj[i].same == v)
				cl_printf(&m, "%s %s", any++ ? "," : what[v == -1 ? 2 : v], p->obj[i].name);
		if (any)
			cl_write(&m, ".", 1);
	}
	buf[m.len] = 0;
}

static const char legend[] =
	"Each box is a kernel object; each arrow a pointer from the struct it leaves. One "
	"solid box with an arrow from each task: one object, shared. Two dashed boxes: one "
	"each; the child's is a copy of the parent's (mm, fs, files, sighand, cred), a fresh "
	"one (signal: a new thread group), or a new namespace (nested in the parent's: user, "
	"pid). Dotted: the pointers were not seen (--kernel shows them). Inside each task: "
	"what is never shared.";

/* Draw (o) or measure (o writes nowhere): the height. */
static int draw(struct cl_out *o, const struct pic *p, struct geo *g)
{
	char t[160];
	int fold = folded(p);
	g->y = svg_wrap(o, 10, 22, HEAD_CHARS(g->chars), "head", "", pic_fmt(t, sizeof t,
			"%s: the object graph", p->name));
	g->y = svg_wrap(o, 10, g->y + 4, g->chars, "small", "", p->call);
	g->y = svg_wrap(o, 10, g->y, g->chars, "small", "", legend) + 4;
	int top = g->y;
	g->task_bottom = top + task_height(p, g);
	task_box(o, p, g, PIC_PARENT, top);
	task_box(o, p, g, PIC_CHILD, top);
	g->y = g->task_bottom + 4;
	int done_fold = 0;
	for (int i = 0; i < p->nobj; i++) {
		if (fold && in_nsproxy(&p->obj[i])) {
			if (done_fold++) {
				placed[i] = placed[i - 1];
				continue;
			}
		}
		row(o, p, g, i, fold);
	}
	return g->y + 10;
}

static int height(const struct pic *p, int narrow)
{
	char tmp[512];
	struct cl_out null = { -1, 0, sizeof tmp, tmp };
	struct geo g;
	geo_init(&g, narrow);
	geo_name(&g, p);
	return draw(&null, p, &g);
}

int pic_sharing_height(const struct pic *p) { return height(p, 0); }

void pic_sharing_svg_as(struct cl_out *o, const struct pic *p, int narrow)
{
	char id[48], t[160], desc[700];
	struct geo g;
	geo_init(&g, narrow);
	geo_name(&g, p);
	int h = height(p, narrow);
	pic_fmt(id, sizeof id, "%s-sharing", g.pre);
	pic_fmt(t, sizeof t, "%s: what the parent and the child share", p->name);
	describe(desc, sizeof desc, p);
	svg_open(o, id, g.w, h, t, desc);
	draw(o, p, &g);
	cl_printf(o, "</svg>\n");
}

void pic_sharing_svg(struct cl_out *o, const struct pic *p) { pic_sharing_svg_as(o, p, 0); }
