/* userns.c: the user namespace's story, as this run told it. The child's namespace
 * drawn inside its parent's (it is nested: its parent is the one it was made in); the
 * child's cred as it went: the overflow uid before the map, uid 0 after it; the bridge
 * between the namespaces is the uid_map the parent wrote (0 inside is your uid
 * outside); and setuid(0), which only the mapped root can do. */
#include "pic.h"

#define CHARS(px) ((px) * 10 / 73)	/* 12 px characters in px */

void pic_userns(unsigned uid, unsigned gid, int before, int after, int setuid0, const char *map)
{
	struct pic *p = pic_current();
	if (!p)
		return;
	struct pic_userns *u = &p->userns;
	u->on = 1, u->uid = uid, u->gid = gid, u->before = before, u->after = after;
	u->setuid0 = setuid0;
	/* "         0       1000          1": one blank between the numbers */
	size_t n = 0;
	for (const char *s = map; *s && *s != '\n' && n < sizeof u->map - 1; s++)
		if (*s != ' ' || (n && u->map[n - 1] != ' '))
			u->map[n++] = *s;
	while (n && u->map[n - 1] == ' ')
		n--;
	u->map[n] = 0;
}

/* A box with wrapped text in it; the y below it. */
static int box(struct cl_out *o, const char *id, const char *cls, int x, int y, int w,
	       const char *text, const char *data)
{
	char tmp[256];
	struct cl_out null = { -1, 0, sizeof tmp, tmp };
	int h = svg_wrap(&null, 0, 0, CHARS(w - 16), "", "", text) + 10;
	svg_box(o, id, cls, x, y, w, h, data);
	svg_wrap(o, x + 8, y + 18, CHARS(w - 16), "small", "", text);
	return y + h;
}

static int draw(struct cl_out *o, const struct pic *p, int narrow, const char *pre)
{
	const struct pic_userns *u = &p->userns;
	char t[200], id[5][48], sid[48];
	int w = narrow ? 360 : 760, n = CHARS(w - 20);
	pic_fmt(sid, sizeof sid, "%s-userns", pre);
	for (int i = 0; i < 5; i++)
		pic_fmt(id[i], sizeof id[i], "%s-un-%d", pre, i);
	int y = svg_wrap(o, 10, 22, HEAD_CHARS(n), "head", "", pic_fmt(t, sizeof t, "%s: root "
			 "inside, uid %u outside", p->name, u->uid));
	y = svg_wrap(o, 10, y + 4, n, "small", "", "The child's user namespace is new and nested "
			 "in its parent's. Its cred starts with no uid that means anything there; the "
			 "parent's uid_map bridges the two namespaces: 0 inside is the parent's uid "
			 "outside.");
	/* the parent's namespace, around everything; the child's inside it. Wide: the
	 * child's cred on the left, top to bottom; the parent's cred and the map on the
	 * right, the map bridging the two. Narrow: one column, the map between before
	 * and after. */
	int ox = 10, ow = w - 20, oy = y, ix = ox + 14, iw = ow - 28;
	int cw = narrow ? iw - 20 : (iw - 20) / 2 - 10;	/* the cred boxes */
	int bx = narrow ? ix + 10 : ix + 10 + cw + 30, bw = narrow ? cw : iw - cw - 50;
	svg_text(o, ox + 8, oy + 18, "b small", "", "the parent's user namespace");
	y = box(o, id[0], "shared", narrow ? ix : bx, oy + 26, narrow ? iw : bw,
		pic_fmt(t, sizeof t, "parent's cred: uid %u, gid %u", u->uid, u->gid),
		"data-name=\"parent cred\"");
	int iy = y + 20;
	svg_text(o, ix + 8, iy + 18, "b small", "", "the child's user namespace (CLONE_NEWUSER)");
	int y1 = box(o, id[1], "copy", ix + 10, iy + 28, cw, pic_fmt(t, sizeof t, "child's cred at "
		     "clone: uid %d (getuid() before the map: an unmapped id reads as the overflow "
		     "uid)", u->before), "data-name=\"cred before\"");
	pic_fmt(t, sizeof t, "uid_map, written by the parent: \"%s\": 0 inside is uid %u outside",
		u->map, u->uid);
	int by = y1 + 24;	/* wide: level with the cred it makes */
	int y4 = box(o, id[4], "task", bx, by, bw, t, "data-name=\"uid_map\"");
	int ya = narrow ? y4 + 24 : y1 + 24;
	int y2 = box(o, id[2], "fresh", ix + 10, ya, cw, pic_fmt(t, sizeof t, "after the map: "
		     "uid %d inside", u->after), "data-name=\"cred after\"");
	if (narrow) {
		svg_arrow(o, sid, "", ix + 10 + cw / 2, y1, ix + 10 + cw / 2, by, id[1], id[4]);
		svg_arrow(o, sid, "", ix + 10 + cw / 2, y4, ix + 10 + cw / 2, ya, id[4], id[2]);
	} else {
		svg_arrow(o, sid, "", ix + 10 + cw / 2, y1, ix + 10 + cw / 2, ya, id[1], id[2]);
		/* the bridge: the map to the parent's uid above, and to the uid 0 it gives */
		svg_arrow(o, sid, "dashed", bx + bw / 2, by, bx + bw / 2, y, id[4], id[0]);
		int lo = by > ya ? by : ya, hi = y4 < y2 ? y4 : y2;
		if (hi - lo > 8)	/* side by side: a straight arrow between them */
			svg_arrow(o, sid, "dashed", bx, (lo + hi) / 2, ix + 10 + cw, (lo + hi) / 2,
				  id[4], id[2]);
	}
	int y3 = box(o, id[3], u->setuid0 == 0 ? "shared" : "unknown", ix + 10, y2 + 24, cw,
		     u->setuid0 == 0 ? "setuid(0): succeeded, root inside" : pic_fmt(t, sizeof t,
		     "setuid(0): %s", cl_errno_name(u->setuid0) ? cl_errno_name(u->setuid0) : "failed"),
		     "data-name=\"setuid\"");
	svg_arrow(o, sid, "", ix + 10 + cw / 2, y2, ix + 10 + cw / 2, y2 + 24, id[2], id[3]);
	int ibottom = (y3 > y4 ? y3 : y4) + 12;
	cl_printf(o, "<rect class=\"nsframe\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\"/>\n",
		  ix, iy, iw, ibottom - iy);
	int obottom = ibottom + 12;
	cl_printf(o, "<rect class=\"nsframe\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\"/>\n",
		  ox, oy, ow, obottom - oy);
	return obottom + 10;
}

static int height(const struct pic *p, int narrow)
{
	char tmp[512];
	struct cl_out null = { -1, 0, sizeof tmp, tmp };
	return draw(&null, p, narrow, "x");
}

int pic_userns_height(const struct pic *p) { return p->userns.on ? height(p, 0) : 0; }

void pic_userns_svg_as(struct cl_out *o, const struct pic *p, int narrow)
{
	char pre[24], id[40], t[120], desc[300];
	const struct pic_userns *u = &p->userns;
	if (!u->on)
		return;
	pic_fmt(pre, sizeof pre, "%s%s", p->name, narrow ? "-n" : "");
	pic_fmt(id, sizeof id, "%s-userns", pre);
	pic_fmt(t, sizeof t, "%s: the user namespace's story", p->name);
	pic_fmt(desc, sizeof desc, "Outside uid %u. The child's uid: %d before the map, %d after "
		"uid_map \"%s\"; setuid(0) %s.", u->uid, u->before, u->after, u->map,
		u->setuid0 == 0 ? "succeeded" : "failed");
	svg_open(o, id, narrow ? 360 : 760, height(p, narrow), t, desc);
	draw(o, p, narrow, pre);
	cl_printf(o, "</svg>\n");
}
