/* tour.c: `clonelab tour --html FILE`, one page a teacher can hand out: a matrix of
 * the four clones at a glance, then each scenario with its story, everything its text
 * report says (the result lines, the kernel's side with --kernel), its two pictures
 * (inline SVG) and its register table. Self-contained (no script, no external file, no
 * network), readable in light and dark, printable (each scenario starts a page, no
 * figure is split), and readable on a phone: each picture is drawn twice, wide and
 * narrow (360 units: 1:1 at 390 CSS px), and the page shows the one that fits. */
#include "pic.h"

static struct cl_out *page;
static const char *page_path;

/* The sections, kept until the end: the matrix that opens the page needs them all. */
#define SECBUF (1024 * 1024)	/* 4 sections of about 100 KiB; mapped, not .bss (the
				 * aarch64 code model reaches 1 MiB of it) */
static struct cl_out sec;	/* memory (fd -1) once mapped; no initializer: .data stays empty */

static const char head[] =
"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<title>clonelab tour: processes, threads and the muddy middle ground</title>\n<style>\n"
":root{color-scheme:light dark}\n"
"body{font:16px/1.5 'DejaVu Sans',sans-serif;max-width:800px;margin:2em auto;padding:0 1em;"
"color:#111;background:#fff}\n"
"a{color:#0645ad}\n"
"code,pre,table{font-family:'DejaVu Sans Mono',monospace}code{overflow-wrap:anywhere}\n"
"pre{font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f4f4;"
"padding:.5em;border:1px solid #ccc}\n"
"figure{margin:1.5em 0}figure svg{display:block;width:100%;height:auto;border:1px solid #888}\n"
"figure .narrow{display:none}figure .wide svg{max-width:760px}\n"
"figcaption{font-size:14px}\n"
"table{border-collapse:collapse;font-size:13px;margin:1em 0;width:100%}\n"
"th,td{border:1px solid #888;padding:2px 8px;text-align:right;vertical-align:top}\n"
"td:last-child{font-family:'DejaVu Sans',sans-serif}\n"
"th:first-child,td:first-child,td:last-child,th:last-child{text-align:left}\n"
"tr.differs td{font-weight:bold}caption{text-align:left;font-weight:bold}\n"
"table.matrix td{text-align:left;font-family:'DejaVu Sans',sans-serif}"
"table.matrix small{font-size:12px}\n"
".bx{display:inline-block;width:.9em;height:.9em;margin-right:2px;vertical-align:-.1em;"
"border:2px solid #111;background:#dff0df}.bx.two{border-style:dashed;background:#fbeedd}"
".bx.unk{border-style:dotted;background:none}\n"
"details{margin:1em 0}summary{cursor:pointer;font-weight:bold}\n"
".status{border:2px dashed #888;padding:.5em 1em}\n"
"@media (max-width:600px){body{padding:0 12px;margin:1em auto}"
"figure .wide{display:none}figure .narrow{display:block}"
"table.regs,table.regs tbody,table.regs tr,table.regs td{display:block;width:auto}"
"table.regs thead{display:none}table.regs tr{border-top:1px solid #888;padding:4px 0}"
"table.regs td{border:0;text-align:left;padding:0 4px}"
"table.regs td[data-l]::before{content:attr(data-l) \": \";font-weight:bold}"
"table.matrix{font-size:12px}table.matrix th,table.matrix td{padding:2px 3px}}\n"
"@media (prefers-color-scheme:dark){body{color:#e8e6e3;background:#181a1b}a{color:#8ab4f8}"
"pre{background:#222;border-color:#555}.bx{border-color:#eee;background:#1f3b22}"
".bx.two{background:#3d2f1c}}\n"
"@media print{body{max-width:none;margin:0;color:#000;background:#fff}"
"section{break-before:page}figure,table,tr{break-inside:avoid}a{color:#000}"
"details>*{display:block}}\n"
"</style>\n</head>\n<body>\n";

/* What the matrix shows of each scenario, kept as its section is written. */
static const char *const mrow[] = { "memory", "fs (cwd, root)", "files", "signal handlers",
	"thread group", "cred", "namespaces" };
static const char *const mkey[] = { "vm", "fs", "files", "sighand", "thread_group", "cred", 0 };
static const char *const mflag[] = { "VM", "FS", "FILES", "SIGHAND", "THREAD", "THREAD",
	"NEW*" };
static const char *const mcol[] = { "fork", "thread", "chimera", "userns" };
static struct { int ran; int same[7]; int set[7]; char ns[48]; } mat[4];

int tour_html_begin(const char *path)
{
	long e;
	page_path = path;
	sec.len = 0;
	memset(mat, 0, sizeof mat);
	if (!sec.buf) {
		long m = cl_map(SECBUF);
		if (cl_is_err(m))
			return pic_file_report(CL_EXIT_FAIL, m, "clonelab tour", "--html", path), -1;
		sec.fd = -1, sec.buf = (char *)m, sec.size = SECBUF;
	}
	if (!(page = pic_file_open(path, &e)))
		return pic_file_report(CL_EXIT_FAIL, e, "clonelab tour", "--html", path), -1;
	if (cl_streq(path, "-"))
		pic_quiet_stdout();
	cl_printf(page, "%s<h1>The clonelab tour</h1>\n<p>One story in four clones: what a "
		  "process is, what a thread is, and what lies between. Everything here was seen "
		  "in a real run of <code>clonelab tour</code> on %s, Linux ", head, CL_ARCH_NAME);
	svg_esc(page, cl_kernel_release() ? cl_kernel_release() : "(unknown)");
	cl_printf(page, ". The object graphs show the two <code>task_struct</code>s and what "
		  "they point to; the timelines show which CPU ran what, and when.</p>\n<nav><p>"
		  "<a href=\"#matrix\">at a glance</a> \xc2\xb7 "
		  "<a href=\"#fork\">fork</a> \xc2\xb7 <a href=\"#thread\">thread</a> \xc2\xb7 "
		  "<a href=\"#userns\">userns</a> \xc2\xb7 <a href=\"#chimera\">chimera</a></p></nav>\n");
	return 0;
}

static void regs_table(struct cl_out *o, const struct pic *p)
{
	int nd = 0;
	for (int i = 0; i < p->nregs; i++)
		nd += p->regs[0][i] != p->regs[1][i];
	cl_printf(o, "<details>\n<summary>Registers as the trampoline saved them, on both sides "
		  "of the syscall (%d of %d differ)</summary>\n<table class=\"regs\">\n<thead><tr>"
		  "<th>register</th><th>parent</th><th>child</th><th>why it differs</th></tr></thead>\n"
		  "<tbody>\n", nd, p->nregs);
	for (int i = 0; i < p->nregs; i++) {
		int d = p->regs[0][i] != p->regs[1][i];
		cl_printf(o, "<tr%s><td>%s</td><td data-l=\"parent\">%lx</td><td data-l=\"child\">"
			  "%lx</td><td>", d ? " class=\"differs\"" : "", p->reg_names[i], p->regs[0][i],
			  p->regs[1][i]);
		if (d)
			svg_esc(o, p->reg_why[i] ? p->reg_why[i] : "differs: not explained by the "
				"kernel's contract");
		cl_printf(o, "</td></tr>\n");
	}
	cl_printf(o, "</tbody>\n</table>\n</details>\n");
}

/* Both layouts of a picture; CSS shows the one that fits. */
static void figure(struct cl_out *o, const struct pic *p, int timeline, const char *caption)
{
	cl_printf(o, "<figure>\n");
	for (int narrow = 0; narrow < 2; narrow++) {
		cl_printf(o, "<div class=\"%s\">\n", narrow ? "narrow" : "wide");
		if (timeline == 2)
			pic_userns_svg_as(o, p, narrow);
		else if (timeline)
			pic_timeline_svg_as(o, p, narrow);
		else
			pic_sharing_svg_as(o, p, narrow);
		cl_printf(o, "</div>\n");
	}
	cl_printf(o, "<figcaption>");
	svg_esc(o, caption);
	cl_printf(o, "</figcaption>\n</figure>\n");
}

/* The text report, cut where the register table starts (the page has its own) and
 * where the kernel's side starts (a part of its own). */
static void report(struct cl_out *o, const char *text)
{
	const char *regs = text, *kern = text;
	while (*regs && !cl_startswith(regs, "\n  register "))
		regs++;
	while (*kern && !cl_startswith(kern, "\nthe kernel's side"))
		kern++;
	char part[16384];
	size_t n = (size_t)(regs - text) < sizeof part - 1 ? (size_t)(regs - text) : sizeof part - 1;
	memcpy(part, text, n);
	part[n] = 0;
	cl_printf(o, "<pre class=\"report\">");
	svg_esc(o, part);
	cl_printf(o, "</pre>\n");
	if (*kern) {
		cl_printf(o, "<h3>The kernel's side (--kernel)</h3>\n<pre class=\"report kernel\">");
		svg_esc(o, kern + 1);
		cl_printf(o, "</pre>\n");
	}
}

static void keep(int col, const struct pic *p)
{
	mat[col].ran = 1;
	for (int r = 0; r < 7; r++) {
		struct pic_object *b = mkey[r] ? pic_find((struct pic *)p, mkey[r]) : 0;
		mat[col].same[r] = b ? b->same : -1;
		mat[col].set[r] = b ? b->flag_set : 0;
	}
	/* namespaces: one box for all of them, or the ones that differ */
	struct cl_out m = { -1, 0, sizeof mat[col].ns - 1, mat[col].ns };
	int any = 0, unk = 0;
	for (int i = 0; i < p->nobj; i++) {
		const struct pic_object *b = &p->obj[i];
		if (!cl_startswith(b->key, "ns."))
			continue;
		if (b->same == 0)
			cl_printf(&m, "%s%s", any++ ? ", " : "", b->key + 3);
		unk |= b->same < 0;
		mat[col].set[6] |= b->flag_set;
	}
	mat[col].ns[m.len] = 0;
	mat[col].same[6] = any ? 0 : unk ? -1 : 1;
}

void tour_html_section(const char *name, const char *story, int status, const char *text)
{
	const struct pic *p = pic_current();
	char cap[200];
	if (!page)
		return;
	cl_printf(&sec, "<section id=\"%s\">\n<h2>%s</h2>\n<p>", name, name);
	svg_esc(&sec, story);
	cl_printf(&sec, "</p>\n");
	if (text && *text)
		report(&sec, text);
	if (status != CL_EXIT_OK || !p) {
		cl_printf(&sec, "<p class=\"status\"><strong>%s</strong> (exit status %d): "
			  "clonelab said why on its standard error. %s</p>\n</section>\n",
			  status == CL_EXIT_UNSUPPORTED ? "Not possible here" : "This clone failed",
			  status, status == CL_EXIT_UNSUPPORTED ? "Under QEMU user mode only the fork "
			  "and thread shapes run." : "");
		return;
	}
	for (int c = 0; c < 4; c++)
		if (cl_streq(mcol[c], name))
			keep(c, p);
	cl_printf(&sec, "<p>The call: <code>");
	svg_esc(&sec, p->call);
	cl_printf(&sec, "</code></p>\n");
	figure(&sec, p, 0, pic_fmt(cap, sizeof cap, "The kernel objects %s's parent and child "
	       "point to: one solid box is one object, shared; two dashed boxes, one each.", name));
	if (p->userns.on)
		figure(&sec, p, 2, "The user namespace's story: the child's uid before and after the "
		       "map, and the map that bridges the two namespaces.");
	figure(&sec, p, 1, pic_fmt(cap, sizeof cap, "Where %s's clone ran, and when.", name));
	regs_table(&sec, p);
	cl_printf(&sec, "</section>\n");
}

static void matrix(void)
{
	cl_printf(page, "<section id=\"matrix\">\n<h2>At a glance</h2>\n<p>What the child got, in "
		  "each clone of this run: <span class=\"bx\"></span> one object, shared with the "
		  "parent; <span class=\"bx two\"></span><span class=\"bx two\"></span> one each; "
		  "<span class=\"bx unk\"></span> not seen. Under each: the flag that decides it, "
		  "given (+) or not (\xe2\x88\x92).</p>\n<table class=\"matrix\">\n<thead><tr><th></th>");
	for (int c = 0; c < 4; c++)
		cl_printf(page, "<th><a href=\"#%s\">%s</a></th>", mcol[c], mcol[c]);
	cl_printf(page, "</tr></thead>\n<tbody>\n");
	for (int r = 0; r < 7; r++) {
		cl_printf(page, "<tr><th>%s</th>", mrow[r]);
		for (int c = 0; c < 4; c++) {
			if (!mat[c].ran) {
				cl_printf(page, "<td>not run here</td>");
				continue;
			}
			int v = mat[c].same[r];
			cl_printf(page, "<td>%s<br><small>%s%s</small>", v > 0 ?
				  "<span class=\"bx\"></span> one" : v < 0 ? "<span class=\"bx unk\"></span> "
				  "not seen" : "<span class=\"bx two\"></span><span class=\"bx two\"></span> two",
				  mat[c].set[r] ? "+" : "\xe2\x88\x92", mflag[r]);
			if (r == 6 && v == 0) {
				cl_printf(page, "<br><small>new: ");
				svg_esc(page, mat[c].ns);
				cl_printf(page, "</small>");
			}
			cl_printf(page, "</td>");
		}
		cl_printf(page, "</tr>\n");
	}
	cl_printf(page, "</tbody>\n</table>\n<p>cred and the namespaces other than user hang off "
		  "<code>task_struct</code> through <code>cred</code> and <code>nsproxy</code>: "
		  "see each object graph below.</p>\n</section>\n");
}

int tour_html_end(int status)
{
	if (!page)
		return pic_json_done(status);
	matrix();
	cl_write(page, sec.buf, sec.len);
	sec.len = 0;
	cl_printf(page, "<footer><p>Made by clonelab %s (%s). No script, no external file: "
		  "this page is complete on its own.</p></footer>\n</body>\n</html>\n",
		  CLONELAB_VERSION, CL_ARCH_NAME);
	page = 0;
	return pic_file_report(status, pic_file_close(), "clonelab tour", "--html", page_path);
}
