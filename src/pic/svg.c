/* svg.c: what the pictures and the tour's page write with: escaped text and labels
 * formatted into small buffers. The file they go to: file.c. */
#include "pic.h"

void svg_esc(struct cl_out *o, const char *s)
{
	for (unsigned n; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *e = c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" :
				c == '"' ? "&quot;" : 0;
		if (e) {
			cl_write(o, e, cl_strlen(e));
		} else if ((n = cl_utf8_len((const unsigned char *)s)) != 0) {
			cl_write(o, s, n);
			s += n - 1;
		} else if (c >= 0x80) {	/* not UTF-8 (a kernel release is bytes): as JSON's
					 * \u00XX does, the byte's value as a character */
			cl_printf(o, "&#x%x;", c);
		} else if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
			cl_write(o, "\xef\xbf\xbd", 3);	/* U+FFFD: XML has no control characters */
		} else {
			cl_write(o, s, 1);
		}
	}
}

/* A cl_out in memory (fd -1), which keeps what fits: a label is cut at size - 1. */
char *pic_fmt(char *buf, size_t size, const char *fmt, ...)
{
	char tmp[512];
	struct cl_out m = { -1, 0, sizeof tmp, tmp };
	va_list ap;
	va_start(ap, fmt);
	cl_vprintf(&m, fmt, ap);
	va_end(ap);
	size_t n = m.len < size - 1 ? m.len : size - 1;
	if (n < m.len && n && ((unsigned char)tmp[n - 1] & 0xc0) == 0xc0)
		n--;	/* not half a UTF-8 character (the labels' are two bytes long) */
	memcpy(buf, tmp, n);
	buf[n] = 0;
	return buf;
}

/* One style for every picture, light by default, dark where the viewer prefers it.
 * Nothing depends on colour alone: shared boxes are solid and say "shared", copies
 * are dashed and say whose copy they are, events are numbered and listed. */
static const char style[] =
"<style>"
".bg{fill:#fff}"
"text{font:13px 'DejaVu Sans Mono',monospace;fill:#111}"
"text.small{font-size:12px}text.head{font-size:16px;font-weight:bold}text.b{font-weight:bold}"
".task{fill:#e8eef8;stroke:#223;stroke-width:2}"
".kstack{fill:#f6f6f0;stroke:#555;stroke-width:1}.ptregs{fill:#e0e6f0;stroke:#555;stroke-width:1}"
".shared{fill:#dff0df;stroke:#111;stroke-width:2.5}"
".copy{fill:#fbeedd;stroke:#111;stroke-width:1.5;stroke-dasharray:6 3}"
".fresh{fill:#efe4f6;stroke:#111;stroke-width:1.5;stroke-dasharray:6 3}"
".unknown{fill:#f4f4f4;stroke:#555;stroke-width:1.5;stroke-dasharray:2 3}"
".arrow{stroke:#111;stroke-width:1.6;fill:none}.arrow.dashed{stroke-dasharray:6 3}"
".arrow.maybe{stroke-dasharray:2 3}.arrow.nest{stroke:#555}"
".nsframe{fill:none;stroke:#555;stroke-width:1.5}.ah{fill:#111}.lane{stroke:#888;stroke-width:1}.tick{stroke:#888}"
".run-parent{stroke:#2a5db0;stroke-width:6}.run-child{stroke:#c0601a;stroke-width:6}"
".step{fill:#f4f4f4;stroke:#555;stroke-width:1}.step.seen{fill:#dff0df;stroke:#111;stroke-width:2}"
".mk-parent{fill:#111;stroke:#111}.mk-child{fill:#fff;stroke:#111;stroke-width:2.5}"
".mk-kernel{fill:#777;stroke:#111}"
"@media (prefers-color-scheme:dark){.bg{fill:#181a1b}text{fill:#e8e6e3}"
".task{fill:#243047;stroke:#cdd}.kstack{fill:#2a2a26;stroke:#aaa}.ptregs{fill:#2c3444;stroke:#aaa}"
".shared{fill:#1f3b22;stroke:#eee}.copy{fill:#3d2f1c;stroke:#eee}.fresh{fill:#38264a;stroke:#eee}"
".unknown{fill:#262626;stroke:#aaa}.nsframe{stroke:#aaa}.arrow{stroke:#eee}.arrow.nest{stroke:#aaa}.ah{fill:#eee}"
".run-parent{stroke:#6f9be8}.run-child{stroke:#f0a060}"
".step{fill:#262626;stroke:#aaa}.step.seen{fill:#1f3b22;stroke:#eee}"
".mk-parent{fill:#eee;stroke:#eee}"
".mk-child{fill:#181a1b;stroke:#eee}.mk-kernel{fill:#aaa;stroke:#eee}}"
"</style>";

void svg_open(struct cl_out *o, const char *id, int w, int h, const char *title,
	      const char *desc)
{
	cl_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" width=\"%d\" "
		  "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"%s-t %s-d\">\n"
		  "<title id=\"%s-t\">", id, w, h, w, h, id, id, id);
	svg_esc(o, title);
	cl_printf(o, "</title>\n<desc id=\"%s-d\">", id);
	svg_esc(o, desc);
	cl_printf(o, "</desc>\n%s\n<defs><marker id=\"%s-ah\" viewBox=\"0 0 10 10\" refX=\"10\" "
		  "refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\">"
		  "<path class=\"ah\" d=\"M0,0L10,5L0,10z\"/></marker></defs>\n"
		  "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/>\n", style, id, w, h);
}

void svg_text(struct cl_out *o, int x, int y, const char *cls, const char *anchor,
	      const char *s)
{
	cl_printf(o, "<text x=\"%d\" y=\"%d\"", x, y);
	if (cls && *cls)
		cl_printf(o, " class=\"%s\"", cls);
	if (anchor && *anchor)
		cl_printf(o, " text-anchor=\"%s\"", anchor);
	cl_write(o, ">", 1);
	svg_esc(o, s);
	cl_printf(o, "</text>\n");
}

/* Text wrapped at word boundaries to at most n characters a line, from y down; the
 * y after the last line. A UTF-8 sequence counts once. */
int svg_wrap(struct cl_out *o, int x, int y, int n, const char *cls, const char *anchor,
		const char *s)
{
	char line[200];
	while (*s) {
		int len = 0, chars = 0, cut = -1;
		const char *q = s;
		while (*q && *q != '\n' && chars < n && len < (int)sizeof line - 4) {
			if (*q == ' ')
				cut = len;
			do
				line[len++] = *q++;
			while (((unsigned char)*q & 0xc0) == 0x80);
			chars++;
		}
		if (*q && *q != '\n' && chars >= n && cut > 0)
			len = cut, q = s + cut + 1;
		else if (*q == '\n')
			q++;
		line[len] = 0;
		svg_text(o, x, y, cls, anchor, line);
		y += 16;
		s = q;
		while (*s == ' ')
			s++;
	}
	return y;
}

/* A box; data: extra attributes (already escaped), or "". */
void svg_box(struct cl_out *o, const char *id, const char *cls, int x, int y, int w, int h,
	     const char *data)
{
	cl_printf(o, "<rect id=\"%s\" class=\"box %s\" x=\"%d\" y=\"%d\" width=\"%d\" "
		  "height=\"%d\" rx=\"4\" %s/>\n", id, cls, x, y, w, h, data);
}

/* An arrow from box `from` to box `to` (ids), ending in the arrowhead of the <svg>
 * whose id is svg_id. */
void svg_arrow(struct cl_out *o, const char *svg_id, const char *cls, int x1, int y1,
	       int x2, int y2, const char *from, const char *to)
{
	cl_printf(o, "<line class=\"arrow %s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		  "marker-end=\"url(#%s-ah)\" data-from=\"%s\" data-to=\"%s\"/>\n",
		  cls, x1, y1, x2, y2, svg_id, from, to);
}
