/* tour.c: `clonelab tour --html FILE`, one page a teacher can hand out: the four
 * scenarios, each with its story, its two pictures (inline SVG) and its register
 * table. Self-contained (no script, no external file, no network), readable in light
 * and dark, and printable (each scenario starts a page, no figure is split). */
#include "pic.h"

static struct cl_out *page;
static const char *page_path;

static const char head[] =
"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<title>clonelab tour: processes, threads and the muddy middle ground</title>\n<style>\n"
":root{color-scheme:light dark}\n"
"body{font:16px/1.5 'DejaVu Sans',sans-serif;max-width:940px;margin:2em auto;padding:0 1em;"
"color:#111;background:#fff}\n"
"code,table{font-family:'DejaVu Sans Mono',monospace}\n"
"figure{margin:1.5em 0}figure svg{max-width:100%;height:auto;border:1px solid #888}\n"
"figcaption{font-size:14px}\n"
"table{border-collapse:collapse;font-size:13px;margin:1em 0}\n"
"table{width:100%}th,td{border:1px solid #888;padding:2px 8px;text-align:right;vertical-align:top}\n"
"td:last-child{font-family:'DejaVu Sans',sans-serif}\n"
"th:first-child,td:first-child,td:last-child,th:last-child{text-align:left}\n"
"tr.differs td{font-weight:bold}caption{text-align:left;font-weight:bold}\n"
".status{border:2px dashed #888;padding:.5em 1em}\n"
"@media (prefers-color-scheme:dark){body{color:#e8e6e3;background:#181a1b}}\n"
"@media print{body{max-width:none;margin:0;color:#000;background:#fff}"
"section{break-before:page}figure,table,tr{break-inside:avoid}a{color:#000}}\n"
"</style>\n</head>\n<body>\n";

int tour_html_begin(const char *path)
{
	long e;
	page_path = path;
	if (!(page = pic_file_open(path, &e)))
		return pic_file_report(CL_EXIT_FAIL, e, "clonelab tour", "--html", path), -1;
	if (cl_streq(path, "-"))
		pic_quiet_stdout();
	cl_printf(page, "%s<h1>The clonelab tour</h1>\n<p>One story in four clones: what a "
		  "process is, what a thread is, and what lies between. Each picture was drawn "
		  "from a real run of <code>clonelab tour</code> on %s, Linux ", head, CL_ARCH_NAME);
	svg_esc(page, cl_kernel_release() ? cl_kernel_release() : "(unknown)");
	cl_printf(page, ". The sharing pictures show the two <code>task_struct</code>s and what "
		  "they point to; the timelines show which CPU ran what, and when.</p>\n<nav><p>"
		  "<a href=\"#fork\">fork</a> \xc2\xb7 <a href=\"#thread\">thread</a> \xc2\xb7 "
		  "<a href=\"#userns\">userns</a> \xc2\xb7 <a href=\"#chimera\">chimera</a></p></nav>\n");
	return 0;
}

static void regs_table(const struct pic *p)
{
	cl_printf(page, "<table>\n<caption>Registers as the trampoline saved them, on both "
		  "sides of the syscall</caption>\n<thead><tr><th>register</th><th>parent</th>"
		  "<th>child</th><th>why it differs</th></tr></thead>\n<tbody>\n");
	for (int i = 0; i < p->nregs; i++) {
		int d = p->regs[0][i] != p->regs[1][i];
		cl_printf(page, "<tr%s><td>%s</td><td>%lx</td><td>%lx</td><td>", d ? " class=\"differs\"" : "",
			  p->reg_names[i], p->regs[0][i], p->regs[1][i]);
		if (d)
			svg_esc(page, p->reg_why[i] ? p->reg_why[i] : "differs: not explained by the "
				"kernel's contract");
		cl_printf(page, "</td></tr>\n");
	}
	cl_printf(page, "</tbody>\n</table>\n");
}

void tour_html_section(const char *name, const char *story, int status)
{
	const struct pic *p = pic_current();
	if (!page)
		return;
	cl_printf(page, "<section id=\"%s\">\n<h2>%s</h2>\n<p>", name, name);
	svg_esc(page, story);
	cl_printf(page, "</p>\n");
	if (status != CL_EXIT_OK || !p) {
		cl_printf(page, "<p class=\"status\"><strong>%s</strong> (exit status %d): "
			  "clonelab said why on its standard error. %s</p>\n</section>\n",
			  status == CL_EXIT_UNSUPPORTED ? "Not possible here" : "This clone failed",
			  status, status == CL_EXIT_UNSUPPORTED ? "Under QEMU user mode only the fork "
			  "and thread shapes run." : "");
		return;
	}
	cl_printf(page, "<p>The call: <code>");
	svg_esc(page, p->call);
	cl_printf(page, "</code></p>\n<figure>\n");
	pic_sharing_svg(page, p);
	cl_printf(page, "<figcaption>What %s's parent and child share: one box with two arrows "
		  "is one object; two dashed boxes are two copies.</figcaption>\n</figure>\n"
		  "<figure>\n", name);
	pic_timeline_svg(page, p);
	cl_printf(page, "<figcaption>Where %s's clone ran: the parent's syscall and the "
		  "child's first instruction, on their CPUs.</figcaption>\n</figure>\n", name);
	regs_table(p);
	cl_printf(page, "</section>\n");
}

int tour_html_end(int status)
{
	if (!page)
		return pic_json_done(status);
	cl_printf(page, "<footer><p>Made by clonelab %s (%s). No script, no external file: "
		  "this page is complete on its own.</p></footer>\n</body>\n</html>\n",
		  CLONELAB_VERSION, CL_ARCH_NAME);
	page = 0;
	return pic_file_report(status, pic_file_close(), "clonelab tour", "--html", page_path);
}
