/* share.c: the sharing picture. The parent's task_struct on the left, the child's
 * on the right, a row per resource between them: where both point to one object, one
 * solid box with two arrows; where each has its own, two dashed boxes with one arrow
 * each. Under each row, the flag that decides it and how clonelab knows. */
#include "pic.h"

#define W 900
#define TW 190			/* a task box's width */
#define PX 10			/* the parent's box, on the left */
#define CX (W - 10 - TW)	/* the child's, on the right */
#define TOP 82			/* the task boxes' top */
#define ROW0 190		/* the first row's centre */
#define PITCH 46		/* between rows; 60 with a line for the kernel's pointers */
#define BH 24			/* a resource box's height */
#define MID (W / 2)
#define ONE_X 345		/* the shared box: 345..555 */
#define ONE_W 210
#define COPY_W 170		/* the copies: 240..410 and 490..660 */
#define COPY_L 240
#define COPY_R (W - COPY_L - COPY_W)

static int pitch(const struct pic *p)
{
	for (int i = 0; i < p->nobj; i++)
		if (p->obj[i].ptr[0] && p->obj[i].ptr[1])
			return PITCH + 14;
	return PITCH;
}

static int bottom(const struct pic *p) { return ROW0 + pitch(p) * (p->nobj - 1) + pitch(p) - 10; }

int pic_sharing_height(const struct pic *p) { return bottom(p) + 12; }

static void task_box(struct cl_out *o, const struct pic *p, int side)
{
	char id[40], t[64];
	const struct pic_task *k = &p->task[side];
	int x = side ? CX : PX, c = x + TW / 2;
	pic_fmt(id, sizeof id, "%s-task-%s", p->name, side ? "child" : "parent");
	svg_box(o, id, "task", x, TOP, TW, bottom(p) - TOP,
		side ? "data-task=\"child\"" : "data-task=\"parent\"");
	svg_text(o, c, TOP + 20, "b", "middle", side ? "child task" : "parent task");
	svg_text(o, c, TOP + 38, "", "middle", pic_fmt(t, sizeof t, "pid %d  tid %d", k->pid, k->tid));
	svg_text(o, c, TOP + 56, "small", "middle", "task_struct at");
	svg_text(o, c, TOP + 72, "small", "middle", k->task_struct ?
		 pic_fmt(t, sizeof t, "%lx", k->task_struct) : "(address not known)");
}

/* "CLONE_VM set · kcmp: same", and on a line of their own the kernel's pointers. */
static void evidence(struct cl_out *o, const struct pic_object *b, int y)
{
	char t[160];
	pic_fmt(t, 74, "%s %s \xc2\xb7 %s", b->flag, b->flag_set ? "set" : "not set", b->evidence);
	svg_text(o, MID, y, "small", "middle", t);
	if (!b->ptr[0] || !b->ptr[1])
		return;
	if (b->ptr[0] == b->ptr[1])
		pic_fmt(t, 74, "kernel pointer: both at %lx", b->ptr[0]);
	else
		pic_fmt(t, 74, "kernel pointers: parent %lx, child %lx", b->ptr[0], b->ptr[1]);
	svg_text(o, MID, y + 14, "small", "middle", t);
}

static void row(struct cl_out *o, const struct pic *p, int i)
{
	const struct pic_object *b = &p->obj[i];
	int yc = ROW0 + pitch(p) * i, y = yc - BH / 2;
	char id[48], id2[48], from[40], to[40], t[64], data[96], sid[40];
	pic_fmt(sid, sizeof sid, "%s-sharing", p->name);	/* its arrowhead: sid-ah */
	pic_fmt(from, sizeof from, "%s-task-parent", p->name);
	pic_fmt(to, sizeof to, "%s-task-child", p->name);
	pic_fmt(t, sizeof t, "->%s", b->name);
	svg_text(o, PX + TW - 8, yc + 4, "", "end", t);
	svg_text(o, CX + 8, yc + 4, "", "start", t);
	pic_fmt(id, sizeof id, "%s-obj-%d", p->name, i);
	if (b->same != 0) {	/* one box: shared, or not known */
		const char *v = b->same > 0 ? "shared" : "unknown";
		pic_fmt(data, sizeof data, "data-name=\"%s\" data-verdict=\"%s\" data-owner=\"both\"",
			b->name, v);
		svg_box(o, id, v, ONE_X, y, ONE_W, BH, data);
		svg_text(o, MID, yc + 4, "b", "middle", pic_fmt(t, sizeof t, "%s: %s", b->name,
			 b->same > 0 ? "one, shared" : "not known"));
		if (b->same > 0) {
			svg_arrow(o, sid, "", PX + TW, yc, ONE_X, yc, from, id);
			svg_arrow(o, sid, "", CX, yc, ONE_X + ONE_W, yc, to, id);
		}
	} else {		/* one copy each */
		for (int side = 0; side < 2; side++) {
			const char *who = side ? "child" : "parent";
			int x = side ? COPY_R : COPY_L;
			pic_fmt(id2, sizeof id2, "%s-%s", id, who);
			pic_fmt(data, sizeof data, "data-name=\"%s\" data-verdict=\"separate\" "
				"data-owner=\"%s\"", b->name, who);
			svg_box(o, id2, "copy", x, y, COPY_W, BH, data);
			svg_text(o, x + COPY_W / 2, yc + 4, "", "middle",
				 pic_fmt(t, sizeof t, "%s: %s's", b->name, who));
			svg_arrow(o, sid, "dashed", side ? CX : PX + TW, yc, side ? x + COPY_W : x,
				  yc, side ? to : from, id2);
		}
	}
	evidence(o, b, yc + 27);
}

/* For <desc>: "Shared: mm fs. One copy each: files. Not known: io." */
static void describe(char *buf, size_t size, const struct pic *p)
{
	struct cl_out m = { -1, 0, (unsigned)size - 1, buf };
	cl_printf(&m, "%s. Parent pid %d tid %d, child pid %d tid %d.", p->call, p->task[0].pid,
		  p->task[0].tid, p->task[1].pid, p->task[1].tid);
	static const char *const what[3] = { " One copy each:", " Shared:", " Not known:" };
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

void pic_sharing_svg(struct cl_out *o, const struct pic *p)
{
	char id[40], t[160], desc[700];
	int h = pic_sharing_height(p);
	pic_fmt(id, sizeof id, "%s-sharing", p->name);
	pic_fmt(t, sizeof t, "%s: what the parent and the child share", p->name);
	describe(desc, sizeof desc, p);
	svg_open(o, id, W, h, t, desc);
	svg_text(o, 10, 22, "head", "", t);
	svg_text(o, 10, 40, "", "", p->call);
	svg_text(o, 10, 57, "small", "", "Solid box, two arrows: one object, and both tasks "
		 "point to it (shared).");
	svg_text(o, 10, 72, "small", "", "Two dashed boxes: each task points to its own copy. "
		 "Under each row: the flag that decides it, and how we know.");
	task_box(o, p, PIC_PARENT);
	task_box(o, p, PIC_CHILD);
	for (int i = 0; i < p->nobj; i++)
		row(o, p, i);
	cl_printf(o, "</svg>\n");
}
