/* kview.h: --kernel, the kernel's side of one clone (README: "The kernel's side").
 * lab.c calls the hooks around each clone; the commands call the report. All are
 * no-ops unless kview_enable() succeeded. */
#ifndef CL_KVIEW_H
#define CL_KVIEW_H
#include "rt.h"

struct lab;
/* For --kernel: find out what this kernel lets us see. -1 to go on, or the exit status
 * to return now (3 when nothing can be seen here, after saying why, in JSON if j). */
int kview_enable(const char *cmd, struct cl_json *j);
/* Before the clone (in the parent): a private trace instance, probes, events on. */
void kview_before(struct lab *l);
/* In the child, first thing: ask kcmp and /proc what it shares, for the cross-check. */
void kview_child(struct lab *l);
/* After the child has run: stop tracing, read it, remove every trace of ours, and
 * print the kernel's side (text after the command's output, or "kernel" in JSON). */
void kview_text(const struct lab *l);
void kview_json(struct cl_json *j, const struct lab *l);
/* The command's exit status, made 1 if the kernel's view disagreed with kcmp//proc
 * or with the flags, or the kernel-built registers with the snapshot. Every command
 * returns through it: it also removes the tracing of a clone that printed no report
 * (refused, or failed after it). */
int kview_status(int status);
#endif
