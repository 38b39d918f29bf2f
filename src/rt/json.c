/* json.c: a JSON writer that tracks commas and nesting, so callers only say what. */
#include "rt.h"

/* Before each value: a comma unless it is the first at this depth, then its key. */
static void item(struct cl_json *j, const char *key)
{
	uint32_t bit = 1u << j->depth;
	if (j->need_comma & bit)
		cl_write(j->o, ",", 1);
	j->need_comma |= bit;
	if (key)
		cl_printf(j->o, "%q:", key);
}

void cl_json_open(struct cl_json *j, const char *key, char brace)
{
	item(j, key);
	cl_write(j->o, &brace, 1);
	j->depth++;
	j->need_comma &= ~(1u << j->depth);
}

void cl_json_close(struct cl_json *j, char brace)
{
	j->depth--;
	cl_write(j->o, &brace, 1);
	if (j->depth == 0)
		cl_write(j->o, "\n", 1);
}

void cl_json_str(struct cl_json *j, const char *key, const char *v)
{
	item(j, key);
	cl_printf(j->o, v ? "%q" : "null", v);
}

void cl_json_int(struct cl_json *j, const char *key, long v)
{
	item(j, key);
	cl_printf(j->o, "%ld", v);
}

void cl_json_bool(struct cl_json *j, const char *key, int v)
{
	item(j, key);
	cl_printf(j->o, v ? "true" : "false");
}

void cl_json_hex(struct cl_json *j, const char *key, unsigned long v)
{
	item(j, key);
	cl_printf(j->o, "\"0x%lx\"", v);
}

void cl_json_null(struct cl_json *j, const char *key)
{
	item(j, key);
	cl_printf(j->o, "null");
}

void cl_json_error(struct cl_json *j, int status, const char *step, long err, const char *why)
{
	cl_json_open(j, 0, '{');
	cl_json_str(j, "result", status == CL_EXIT_UNSUPPORTED ? "unsupported" :
		    status == CL_EXIT_USAGE ? "usage" : "error");
	if (step)
		cl_json_str(j, "step", step);
	cl_json_str(j, "errno", cl_errno_name(err));
	cl_json_str(j, "explanation", why ? why : cl_errno_text(err));
}
