/* opts.c: the options the clone commands share (--cpu, --api, --json, --svg,
 * --html, --kernel, --help), parsed and checked. */
#include "cmd.h"
#include "kernel/kernel.h"

int cmd_parse_cpu(const char *cmd, const char *s, int *cpu)
{
	unsigned long v;
	if (cl_parse_ulong(s, &v) < 0 || v >= 1024) {
		errf("%s: --cpu takes a CPU number from 0 to 1023, not '%s'\n", cmd, s);
		return -1;
	}
	*cpu = (int)v;
	return 0;
}

int cmd_parse_api(const char *cmd, const char *s, int *api)
{
	static const char *const names[] = { "auto", "clone", "clone3" };	/* LAB_ order */
	for (int i = 0; i < 3; i++)
		if (cl_strcaseeq(s, names[i]))
			return *api = i, 0;
	errf("%s: --api takes clone, clone3 or auto, not '%s'\n", cmd, s);
	return -1;
}

int cmd_options(int argc, char **argv, const char *cmd, const char *usage, struct cmd_opts *o)
{
	static const struct cl_opt opts[] = {
		{ "--json", 0 }, { "--cpu", 1 }, { "--api", 1 }, { "--help", 0 }, { "--svg", 1 },
		{ "--html", 1 }, { "--kernel", 2 }, { "--show-bpf", 0 }, { 0, 0 } };
	struct cl_args a = { argc, argv, 1, 0, 0 };
	int k, show_bpf = 0;
	const char *backend = 0;
	*o = (struct cmd_opts){ .cpu = -1, .api = LAB_AUTO };
	while ((k = cl_getopt(&a, opts, cmd)) != CL_ARG_END) {
		if (k == 0)
			o->json = 1;
		else if (k == 1 || k == 2) {
			if ((k == 1 ? cmd_parse_cpu(cmd, a.val, &o->cpu)
				    : cmd_parse_api(cmd, a.val, &o->api)) < 0)
				return CL_EXIT_USAGE;
		} else if (k == 3) {
			outf("%s", usage);
			return CL_EXIT_OK;
		} else if (k == 4 || k == 5) {
			*(k == 4 ? &o->svg : &o->html) = a.val;
		} else if (k == 6) {
			o->kernel = 1, backend = a.val;
		} else if (k == 7) {
			show_bpf = 1;
		} else {
			if (k == CL_ARG_POSITIONAL)
				errf("%s: unexpected argument '%s' (try --help)\n", cmd, a.val);
			return CL_EXIT_USAGE;
		}
	}
	if ((k = cmd_json_dash(o->json, "--svg", o->svg)) >= 0 ||
	    (k = cmd_json_dash(o->json, "--html", o->html)) >= 0)
		return k;
	struct cl_json j = { &cl_stdout, 0, 0 };
	if (show_bpf && (!o->kernel || o->json)) {
		errf(o->json ? "%s: --show-bpf prints BPF assembly, and --json only JSON: not both\n" :
		     "%s: --show-bpf shows the programs of --kernel: give both\n", cmd);
		return CL_EXIT_USAGE;
	}
	if (o->kernel && kview_choose(cmd, backend, show_bpf) < 0)
		return CL_EXIT_USAGE;
	return o->kernel ? kview_enable(cmd, o->json ? &j : 0) : -1;
}

int cmd_json_dash(int json, const char *opt, const char *path)
{
	if (!json || !path || !cl_streq(path, "-"))
		return -1;
	char why[160];
	struct cl_out w = { -1, 0, sizeof why - 1, why };
	cl_printf(&w, "%s - would write the picture to stdout, where --json writes its one "
		  "object: give %s a file", opt, opt);
	why[w.len] = 0;
	struct cl_json j = { &cl_stdout, 0, 0 };
	cl_json_error(&j, CL_EXIT_USAGE, 0, 0, why);
	cl_json_close(&j, '}');
	return CL_EXIT_USAGE;
}
