/* kernel.h: the kernel observer's public face. --kernel, the kernel's side of one
 * clone (doc/kernel.md): kview_enable() sets it up and hooks it into the lab (struct
 * lab_observer), so that it watches every clone after; the commands call the report.
 * All are no-ops unless kview_enable() succeeded. Below it: the BTF reader, where the
 * members it reads sit on the running kernel (offsets.h), and eBPF by hand (bpf.h). */
#ifndef CL_KERNEL_H
#define CL_KERNEL_H
#include "offsets.h"	/* the BTF reader and the members --kernel reads */
#include "bpf.h"	/* eBPF by hand: the encoder, the disassembler, the loader */

struct lab;
/* --kernel=auto|kprobe|bpf (backend NULL: auto) and --show-bpf, before kview_enable.
 * 0, or -1 for a backend that is none of those (said on stderr). */
int kview_choose(const char *cmd, const char *backend, int show_bpf);
/* For --kernel: find out what this kernel lets us see. -1 to go on, or the exit status
 * to return now (3 when nothing can be seen here, after saying why, in JSON if j). */
int kview_enable(const char *cmd, struct cl_json *j);
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
