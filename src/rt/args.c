/* args.c: "--name", "--name value", "--name=value", "--", and positionals. */
#include "rt.h"

int cl_getopt(struct cl_args *a, const struct cl_opt *opts, const char *cmd)
{
	if (a->i >= a->argc)
		return CL_ARG_END;
	const char *s = a->argv[a->i++];
	if (a->stop || s[0] != '-' || s[1] == 0) {
		a->val = s;
		return CL_ARG_POSITIONAL;
	}
	if (cl_streq(s, "--")) {
		a->stop = 1;
		return cl_getopt(a, opts, cmd);
	}
	for (int k = 0; opts[k].name; k++) {
		const char *n = opts[k].name;
		if (!cl_startswith(s, n))
			continue;
		const char *rest = s + cl_strlen(n);
		if (*rest == 0 && opts[k].has_arg != 1) {	/* 2: the value is optional */
			a->val = 0;
			return k;
		}
		if (!opts[k].has_arg) {
			if (*rest == '=') {
				errf("%s: option %s takes no value (try --help)\n", cmd, n);
				return CL_ARG_BAD;
			}
			continue;
		}
		if (*rest == '=') {
			a->val = rest + 1;
			return k;
		}
		if (*rest == 0) {	/* has_arg 1 */
			if (a->i >= a->argc) {
				errf("%s: option %s needs a value (try --help)\n", cmd, n);
				return CL_ARG_BAD;
			}
			a->val = a->argv[a->i++];
			return k;
		}
	}
	errf("%s: unknown option '%s' (try --help)\n", cmd, s);
	return CL_ARG_BAD;
}
