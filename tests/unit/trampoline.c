/* trampoline.c: what the README promises about the clone trampolines, one test each, for
 * the lean (cl_clone, cl_clone3) and the recording ones (cl_clone_snap, cl_clone3_snap).
 * `make mutate` (tests/mutate/) checks that each of these can fail: a mutant of the
 * trampoline that breaks a promise must turn one of them "not ok".
 *
 * Every child runs on a stack top we misalign on purpose (offsets 0..15): the parent
 * must align it, since the kernel never does. Thread-shaped clones run inside a forked
 * process of their own, so that a broken trampoline (exit_group, a crash) ends that
 * process, not the test, and the test sees it as a wrong exit status. */
#include "test.h"

#define STACK 16384
#define DONE 100	/* a subprocess's exit status when all went well */
#define POISON 0x5a5a5a5a5a5a5a5aULL

static char stack[STACK] __attribute__((aligned(16)));
static uintptr_t want_top;	/* the aligned top the child should have: fn, arg just below */
static void *const want_arg = (void *)0x600dcafeL;

enum { OK = 42, BAD_ARG, BAD_ALIGN, BAD_FRAME_CHAIN, BAD_SLOTS };

/* The child's function: checks what it can see from inside, and says it in its result.
 * It keeps a frame pointer, so that __builtin_frame_address(0) is a real frame:
 *  - its frame is 16-aligned: on x86_64 the call pushed 8 bytes onto a 16-aligned
 *    rsp and the prologue 8 more; on aarch64 sp itself must stay 16-aligned;
 *  - the saved frame pointer in it is the trampoline's, which must be 0: the outermost
 *    frame, where a backtrace from here ends;
 *  - the frame lies at or below the two words (fn, arg) under the aligned top. */
#ifndef CL_FRAME_RECORD
#error "arch/<arch>/abi.h must say where a frame record is (CL_FRAME_RECORD)"
#endif
/* probe_fn calls it, so that probe_fn is no leaf: a leaf may keep a shorter frame
 * record (riscv64 saves no return address there), a non-leaf the full one. */
__attribute__((noinline)) static void not_a_leaf(void) { __asm__ volatile(""); }

__attribute__((noinline, optimize("no-omit-frame-pointer")))
static int probe_fn(void *arg)
{
	void **rec = (void **)__builtin_frame_address(0) + CL_FRAME_RECORD;
	not_a_leaf();
	if (arg != want_arg)
		return BAD_ARG;
	if ((uintptr_t)rec % 16)
		return BAD_ALIGN;
	if (rec[0] != 0)
		return BAD_FRAME_CHAIN;
	if ((uintptr_t)rec > want_top - 16)
		return BAD_SLOTS;
	return OK;
}

static const char *why(int st)
{
	static const char *const names[] = { "ok", "arg not passed", "stack misaligned",
		"saved frame pointer not 0 (outermost frame not marked)",
		"frame above the fn/arg words" };
	return st >= OK && st <= BAD_SLOTS ? names[st - OK] : "crashed or wrong status";
}

/* Whether the kernel (or QEMU) lacks clone3: asked by a raw syscall, not through the
 * trampoline under test, whose own ENOSYS (a wrong syscall number) must fail. */
static int no_clone3(void)
{
	return cl_clone3_probe() == -ENOSYS;
}

/* The four trampolines, one signature: clone a child of `flags` (exit signal in the low
 * byte) that runs fn(arg) on the stack [stack, top). */
enum api { LEAN, LEAN3, SNAP, SNAP3 };
static const char *const api_name[] = { "cl_clone", "cl_clone3", "cl_clone_snap", "cl_clone3_snap" };

static void fill_args(struct cl_clone_args *a, char *top, unsigned long flags, int *ptid,
		      void *tls, int *ctid)
{
	*a = (struct cl_clone_args){
		.flags = flags & ~CL_CSIGNAL, .exit_signal = flags & CL_CSIGNAL,
		.child_tid = (uintptr_t)ctid, .parent_tid = (uintptr_t)ptid,
		.stack = (uintptr_t)stack, .stack_size = (uintptr_t)(top - stack),
		.tls = (uintptr_t)tls,
	};
}

static long clone_with(enum api api, int (*fn)(void *), char *top, unsigned long flags,
		       void *arg, int *ptid, void *tls, int *ctid, struct cl_clone_args *a)
{
	if (api == LEAN)
		return cl_clone(fn, top, flags, arg, ptid, tls, ctid);
	if (api == SNAP)
		return cl_clone_snap(fn, top, flags, arg, ptid, tls, ctid, 0);
	fill_args(a, top, flags, ptid, tls, ctid);
	return api == LEAN3 ? cl_clone3(a, sizeof *a, fn, arg) : cl_clone3_snap(a, sizeof *a, fn, arg, 0);
}

/* Alignment by the parent, the outermost frame, fn and arg, and the exit status (fn's
 * result): a process-shaped clone (no CLONE_VM) on each misaligned top. */
__attribute__((optimize("no-omit-frame-pointer")))
static int aligned_and_marked(enum api api)
{
	for (int off = 0; off < 16; off++) {
		char *top = stack + STACK - 256 + off;
		struct cl_clone_args a;
		want_top = (uintptr_t)top & ~(uintptr_t)15;
		long pid = clone_with(api, probe_fn, top, SIGCHLD, want_arg, 0, 0, 0, &a);
		if ((api == LEAN3 || api == SNAP3) && no_clone3())
			return T_SKIP;
		ASSERT_OK(pid);
		int st = 0;
		ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
		int code = CL_WIFEXITED(st) ? CL_WEXITSTATUS(st) : 128 + CL_WTERMSIG(st);
		if (code != OK) {
			diag("%s, stack top %% 16 = %d: child status %d: %s", api_name[api], off,
			     code, why(code));
			return T_FAIL;
		}
		if (api == LEAN3)	/* fn and arg: 16 bytes below the aligned top */
			ASSERT_EQ(a.stack + a.stack_size, want_top - 16);
		if (api == SNAP3)
			ASSERT((a.stack + a.stack_size) % 16 == 0 && a.stack + a.stack_size < want_top);
	}
	return T_PASS;
}

static int each_api(int (*check)(enum api))
{
	int skipped = 0;
	for (enum api api = LEAN; api <= SNAP3; api++) {
		int r = check(api);
		if (r == T_FAIL)
			return T_FAIL;
		skipped += r == T_SKIP;
	}
	if (skipped)
		diag("clone3 parts skipped: no clone3 here");
	return T_PASS;
}

int t_trampoline_aligned_and_marked(void)
{
	return each_api(aligned_and_marked);
}

/* The lean trampolines hand fn the whole stack: after taking fn and arg, the child's sp
 * is back at the aligned top when it calls fn. fn here is t_caller_sp
 * (tests/unit/startup_facts.c, arch/<arch>/abi.h), which returns the sp its caller had
 * at the call: the low byte of that is the exit status, and the aligned top's low byte
 * differs on every misaligned top. (The recording trampolines keep their frame below.) */
uintptr_t t_caller_sp(void);

static int lean_fn_gets_the_top(enum api api)
{
	if (api == SNAP || api == SNAP3)
		return T_PASS;
	for (int off = 0; off < 32; off++) {
		char *top = stack + STACK - 256 + off;
		struct cl_clone_args a;
		uintptr_t aligned = (uintptr_t)top & ~(uintptr_t)15;
		/* through void (*)(void), the cast that says "another signature, on purpose":
		 * t_caller_sp ignores the argument and returns the sp in the return register */
		long pid = clone_with(api, (int (*)(void *))(void (*)(void))t_caller_sp, top,
				      SIGCHLD, 0, 0, 0, 0, &a);
		if (api == LEAN3 && no_clone3())
			return T_SKIP;
		ASSERT_OK(pid);
		int st = 0;
		ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
		ASSERT(CL_WIFEXITED(st));
		if (CL_WEXITSTATUS(st) != (aligned & 0xff)) {
			diag("%s, stack top %% 16 = %d: fn was called with sp %% 256 = %d, not the "
			     "aligned top's %d", api_name[api], off & 15, CL_WEXITSTATUS(st),
			     (int)(aligned & 0xff));
			return T_FAIL;
		}
	}
	return T_PASS;
}

int t_trampoline_lean_fn_gets_the_top(void)
{
	return each_api(lean_fn_gets_the_top);
}

/* ---- threads: exit, not exit_group, and the tid words ---- */
static int seen_ctid, seen_tid;
static uintptr_t seen_tp;
static int *volatile ctid_word;

static int thread_fn(void *arg)
{
	(void)arg;
	seen_ctid = __atomic_load_n(ctid_word, __ATOMIC_ACQUIRE);
	seen_tid = cl_gettid();
	seen_tp = (uintptr_t)__builtin_thread_pointer();
	return 0;	/* exit_group(0) here would end the whole process with status 0 */
}

/* In a subprocess: a thread with its own parent_tid, child_tid and TLS words, then the
 * main thread outlives it and checks the words. Returns DONE if all held. The TLS
 * block starts with a pointer to itself, as the x86_64 TLS ABI wants (there the thread
 * pointer is read from %fs:0), so __builtin_thread_pointer() is the block everywhere. */
static int thread_words(enum api api)
{
	static int ptid, ctid;
	static uint64_t tls_block[4] = { 0, POISON, POISON, POISON };
	struct cl_clone_args a;
	tls_block[0] = (uintptr_t)tls_block;
	ptid = -1, ctid = -1, ctid_word = &ctid;
	unsigned long flags = CL_THREAD_FLAGS | CL_CLONE_CHILD_SETTID;
	long tid = clone_with(api, thread_fn, stack + STACK - 8, flags, 0, &ptid, tls_block,
			      &ctid, &a);
	if ((api == LEAN3 || api == SNAP3) && no_clone3())
		return DONE + T_SKIP;
	ASSERT_OK(tid);
	for (int t; (t = __atomic_load_n(&ctid, __ATOMIC_ACQUIRE));)
		SYS4(futex, &ctid, FUTEX_WAIT, t, 0);	/* CHILD_CLEARTID: 0 and a wake */
	ASSERT_EQ(ptid, tid);		/* PARENT_SETTID, at parent_tid */
	ASSERT_EQ(seen_tid, tid);
	ASSERT_EQ(seen_ctid, tid);	/* CHILD_SETTID, at child_tid, before fn ran */
	ASSERT_EQ(seen_tp, (uintptr_t)tls_block);	/* CLONE_SETTLS got tls */
	for (int i = 1; i < 4; i++)	/* and tls is no tid word */
		ASSERT(tls_block[i] == POISON);
	return DONE;
}

static int in_subprocess(enum api api)
{
	long pid = cl_fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		int r = thread_words(api);
		cl_flush_all();
		SYS1(exit_group, r == DONE || r == DONE + T_SKIP ? r : T_FAIL);
	}
	int st = 0;
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	if (CL_WIFEXITED(st) && CL_WEXITSTATUS(st) == DONE + T_SKIP)
		return T_SKIP;
	if (!CL_WIFEXITED(st) || CL_WEXITSTATUS(st) != DONE) {
		diag("%s: the process of a thread that ended got wait status 0x%x, not exit %d: "
		     "exit_group instead of exit, or a crash", api_name[api], st, DONE);
		return T_FAIL;
	}
	return T_PASS;
}

int t_trampoline_thread_exit_and_tids(void)
{
	return each_api(in_subprocess);
}

/* ---- the recording trampolines record every register ---- */
/* Each side stores its registers into a frame on its own stack, then copies them to snap.
 * A store left out leaves the frame's old contents in that slot: so the parent's frame
 * area (below the caller's sp) is filled with POISON_P and the child's stack with
 * POISON_C first. A register that really holds one of these values holds it on both
 * sides (the kernel copies them); a missing store shows POISON_P in the parent's slot and
 * POISON_C in the child's. */
#define POISON_P 0x5a5a5a5a5a5a5a5aULL
#define POISON_C 0xa5a5a5a5a5a5a5a5ULL

__attribute__((noinline)) static void poison_below(void)
{
	volatile uint64_t fill[1024];
	for (int i = 0; i < 1024; i++)
		fill[i] = POISON_P;
	__asm__ volatile("" : : "r"(fill) : "memory");	/* the stores are kept */
}

static int snap_child(void *arg) { (void)arg; return 0; }
static int snap_fork_fn(void *arg) { return arg == want_arg ? OK : BAD_ARG; }

/* The fork shape (no new stack): the child wakes on a copy of the parent's frame, so fn
 * and arg must be in that frame too. fn = 0: the child returns 0 from the call. */
static long snap_fork(enum api api, int (*fn)(void *), void *arg)
{
	struct cl_clone_args a = { .exit_signal = SIGCHLD };
	poison_below();
	return api == SNAP ? cl_clone_snap(fn, 0, SIGCHLD, arg, 0, 0, 0, 0)
			   : cl_clone3_snap(&a, sizeof a, fn, arg, 0);
}

static int snap_fork_shape(enum api api)
{
	long pid = snap_fork(api, 0, 0);
	if (pid == 0)
		SYS1(exit_group, OK);
	ASSERT_OK(pid);
	int st = 0;
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	ASSERT_EQ(st, OK << 8);	/* exited, status OK: it returned 0 and went on here */
	pid = snap_fork(api, snap_fork_fn, want_arg);
	ASSERT_OK(pid);
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	ASSERT_EQ(st, OK << 8);	/* fn(arg) ran, and its result is the exit status */
	return T_PASS;
}

/* Every slot stored on both sides, and the kernel's argument registers, which it keeps on
 * both sides, hold what the trampoline passed: want[0..2] (unless POISON: not checked),
 * and with want[3] = POISON, a4 and a5 are want[4] and want[5] in either order (legacy
 * clone's child_tid and tls, whose order is the architecture's). */
static int check_sides(const struct cl_snap *snap, int n, const uint64_t *want)
{
	for (int i = 0; i < n; i++)
		if ((snap->parent[i] == POISON_P) != (snap->child[i] == POISON_P) ||
		    (snap->parent[i] == POISON_C) != (snap->child[i] == POISON_C)) {
			diag("%s not stored: parent 0x%lx, child 0x%lx", cl_reg_names(0)[i],
			     (long)snap->parent[i], (long)snap->child[i]);
			return T_FAIL;
		}
#ifdef CL_REG_SYSARGS
	static const int arg[6] = { CL_REG_SYSARGS };
	for (int side = 0; side < 2; side++) {
		const uint64_t *r = side ? snap->child : snap->parent;
		for (int k = 0; k < 3; k++)
			if (want[k] != POISON && arg[k] != CL_REG_RET && r[arg[k]] != want[k]) {
				diag("%s: %s (syscall argument %d) is 0x%lx, not 0x%lx",
				     side ? "child" : "parent", cl_reg_names(0)[arg[k]], k + 1,
				     (long)r[arg[k]], (long)want[k]);
				return T_FAIL;
			}
	}
#ifdef CL_REG_FLAGS
	for (int side = 0; side < 2; side++)
		if ((side ? snap->child : snap->parent)[CL_REG_FLAGS] & ~CL_REG_FLAGS_MASK) {
			diag("%s: %s is 0x%lx: not a flags value", side ? "child" : "parent",
			     cl_reg_names(0)[CL_REG_FLAGS],
			     (long)(side ? snap->child : snap->parent)[CL_REG_FLAGS]);
			return T_FAIL;
		}
#endif
	if (want[3] == POISON && want[4] != POISON) {	/* legacy clone: a4, a5 as a set */
		for (int side = 0; side < 2; side++) {
			const uint64_t *r = side ? snap->child : snap->parent;
			uint64_t x = r[arg[3]], y = r[arg[4]];
			if (!((x == want[4] && y == want[5]) || (x == want[5] && y == want[4]))) {
				diag("%s: syscall arguments 4, 5 are 0x%lx, 0x%lx: not child_tid "
				     "and tls", side ? "child" : "parent", (long)x, (long)y);
				return T_FAIL;
			}
		}
	}
#endif
	return T_PASS;
}

static int snapshot_complete(enum api api)
{
	if (api == LEAN || api == LEAN3 || ((api == SNAP3) && no_clone3()))
		return api == SNAP3 ? T_SKIP : T_PASS;
	if (snap_fork_shape(api) != T_PASS)
		return T_FAIL;
	struct cl_snap *snap = (void *)SYS6(mmap, 0, sizeof *snap, PROT_READ | PROT_WRITE,
					    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT((uintptr_t)snap < MAP_FAILED_MAX);
	for (size_t i = 0; i < STACK / 8; i++)	/* snap itself stays zero, as mmap made it */
		((uint64_t *)stack)[i] = POISON_C;
	static int ptid, ctid;
	struct cl_clone_args a;
	char *top = stack + STACK;
	poison_below();
	long pid = api == SNAP ?
		cl_clone_snap(snap_child, top, SIGCHLD, 0, &ptid, (void *)0x7157, &ctid, snap) :
		(fill_args(&a, top, SIGCHLD, &ptid, (void *)0x7157, &ctid),
		 cl_clone3_snap(&a, sizeof a, snap_child, 0, snap));
	ASSERT_OK(pid);
	int st = 0, n;
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	ASSERT_EQ(st, 0);
	cl_reg_names(&n);
	ASSERT_EQ(snap->parent[CL_REG_RET], pid);
	ASSERT_EQ(snap->child[CL_REG_RET], 0);
	ASSERT(snap->child[CL_REG_SP] >= (uintptr_t)stack && snap->child[CL_REG_SP] < (uintptr_t)top);
	ASSERT(snap->parent[CL_REG_SP] < (uintptr_t)stack || snap->parent[CL_REG_SP] >= (uintptr_t)top);
	ASSERT_EQ(snap->child[CL_REG_PC], snap->parent[CL_REG_PC]);
	/* both counters were stored (their values are times: not judged) */
	ASSERT(snap->t_clone != 0 && snap->t_child != 0 && snap->t_child != POISON_C);
	/* legacy clone: flags, the child's sp, parent_tid, then child_tid and tls in the
	 * architecture's order (compared as a set); clone3: args and its size */
	uint64_t sp = snap->child[CL_REG_SP],
		 w1[6] = { SIGCHLD, sp, (uintptr_t)&ptid, POISON, (uintptr_t)&ctid, 0x7157 },
		 w3[6] = { (uintptr_t)&a, sizeof a, POISON, POISON, POISON, POISON };
	int r = check_sides(snap, n, api == SNAP ? w1 : w3);
	SYS2(munmap, snap, sizeof *snap);
	return r;
}

int t_trampoline_snapshot_complete(void)
{
	return each_api(snapshot_complete);
}

/* ---- each slot holds its own register's value ---- */
/* A snapshot that stores a register into another register's slot (two stores whose
 * sources trade places) stores every slot, so the poison above cannot see it: the values
 * must tell the registers apart. C cannot choose what is in most registers, so an
 * assembly routine from abi.h does: it loads each register it may set with CL_FILL(slot)
 * and calls t_fill_target with the arguments it was given (t_fill_call5: for a callee of
 * five arguments, the unused argument registers too). Then no slot may hold another
 * register's fill value, and the callee-saved registers (CL_REG_KEPT), which the
 * trampolines keep, hold their own on both sides: the kernel copies them to the child. */
#if !defined(CL_FILL_ASM) || !defined(CL_FILL_ARGS5_ASM) || !defined(CL_REG_KEPT)
#error "arch/<arch>/abi.h must define CL_FILL, CL_FILL_ASM, CL_FILL_ARGS5_ASM and CL_REG_KEPT"
#endif
/* read by the routine below: LTO cannot see that, hence used and externally_visible */
__attribute__((used, externally_visible)) uintptr_t t_fill_target;
__asm__(".text\n.globl t_fill_call5, t_fill_call\nt_fill_call5:\n\t" CL_FILL_ARGS5_ASM
	"\nt_fill_call:\n\t" CL_FILL_ASM "\n");
long t_fill_call(int (*fn)(void *), void *stack_top, unsigned long flags, void *arg,
		 int *parent_tid, void *tls, int *child_tid, struct cl_snap *snap);
long t_fill_call5(struct cl_clone_args *args, unsigned long size, int (*fn)(void *), void *arg,
		  struct cl_snap *snap);

static int own_fill(const uint64_t *r, int n, const char *side, long nr)
{
	static const int kept[] = { CL_REG_KEPT };
	const char *const *name = cl_reg_names(0);
	for (int i = 0; i < n; i++)
		if (r[i] >= CL_FILL(0) && r[i] < CL_FILL(n) && r[i] != CL_FILL(i)) {
			diag("%s: %s holds %s's value 0x%lx", side, name[i], name[r[i] - CL_FILL(0)],
			     (long)r[i]);
			return T_FAIL;
		}
	for (size_t k = 0; k < sizeof kept / sizeof kept[0]; k++)
		if (r[kept[k]] != CL_FILL(kept[k])) {
			diag("%s: %s is 0x%lx, not the 0x%lx it held", side, name[kept[k]],
			     (long)r[kept[k]], (long)CL_FILL(kept[k]));
			return T_FAIL;
		}
#ifdef CL_REG_SYSNR	/* the register naming the syscall, where one survives it */
	if (r[CL_REG_SYSNR] != (uint64_t)nr) {
		diag("%s: %s is 0x%lx, not the syscall's number %ld", side, name[CL_REG_SYSNR],
		     (long)r[CL_REG_SYSNR], nr);
		return T_FAIL;
	}
#endif
	(void)nr;
	return T_PASS;
}

static int snapshot_own_slots(enum api api)
{
	if (api == LEAN || api == LEAN3 || ((api == SNAP3) && no_clone3()))
		return api == SNAP3 ? T_SKIP : T_PASS;
	struct cl_snap *snap = (void *)SYS6(mmap, 0, sizeof *snap, PROT_READ | PROT_WRITE,
					    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT((uintptr_t)snap < MAP_FAILED_MAX);
	static int ptid, ctid;
	struct cl_clone_args a;
	char *top = stack + STACK;
	long pid;
	if (api == SNAP) {
		t_fill_target = (uintptr_t)cl_clone_snap;
		pid = t_fill_call(snap_child, top, SIGCHLD, 0, &ptid, (void *)0x7157, &ctid, snap);
	} else {
		fill_args(&a, top, SIGCHLD, &ptid, (void *)0x7157, &ctid);
		t_fill_target = (uintptr_t)cl_clone3_snap;
		pid = t_fill_call5(&a, sizeof a, snap_child, 0, snap);
	}
	ASSERT_OK(pid);
	int st = 0, n;
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	ASSERT_EQ(st, 0);
	cl_reg_names(&n);
	long nr = api == SNAP ? CL_NR_clone : CL_NR_clone3;
	int r = own_fill(snap->parent, n, "parent", nr) == T_PASS &&
		own_fill(snap->child, n, "child", nr) == T_PASS ? T_PASS : T_FAIL;
	if (r == T_FAIL)
		diag("%s", api_name[api]);
	SYS2(munmap, snap, sizeof *snap);
	return r;
}

int t_trampoline_snapshot_own_slots(void)
{
	return each_api(snapshot_own_slots);
}

/* ---- the lean trampolines refuse what the C libraries' clone refuses ---- */
/* A NULL fn or stack (clone), or a NULL args or fn (clone3): -EINVAL, before anything
 * is stored or any syscall made (no child can appear). */
int t_trampoline_null_is_einval(void)
{
	struct cl_clone_args a = { .exit_signal = SIGCHLD, .stack = (uintptr_t)stack,
				   .stack_size = STACK };
	ASSERT_EQ(cl_clone(0, stack + STACK, SIGCHLD, 0, 0, 0, 0), -EINVAL);
	ASSERT_EQ(cl_clone(probe_fn, 0, SIGCHLD, 0, 0, 0, 0), -EINVAL);
	ASSERT_EQ(cl_clone3(0, sizeof a, probe_fn, 0), -EINVAL);
	ASSERT_EQ(cl_clone3(&a, sizeof a, 0, 0), -EINVAL);
	ASSERT_EQ(a.stack_size, STACK);	/* refused before it was rewritten */
	int st;
	ASSERT_EQ(cl_wait(-1, &st, CL_WNOHANG), -ECHILD);	/* and no child was made */
	return T_PASS;
}

/* ---- clone3's stack: the trampolines store only inside [stack, stack + stack_size) ----
 * A zero stack (cl_clone3), a NULL args (cl_clone3_snap), a stack_size too small for what
 * the trampoline keeps below the aligned top (16 bytes, or the recording frame), a zero
 * stack_size (the kernel's clone3_stack_valid refuses it too), and a stack + stack_size
 * past the end of the address space: -EINVAL, with nothing stored, args->stack_size as
 * given and no child. Before the fix these stored fn and arg at address -16 or 16 (the
 * caller crashed: main.c runs each test in a process of its own), or below the stack. */
static char around[4096] __attribute__((aligned(16)));	/* the stack, and bytes either side */

static int seven(void *arg) { (void)arg; return 7; }

/* One refused call: api (LEAN3 or SNAP3) on args {stack, size}; everything unchanged. */
static int refused(enum api api, uintptr_t stack_lo, uint64_t size)
{
	for (unsigned i = 0; i < sizeof around; i++)
		around[i] = (char)0x5a;
	struct cl_clone_args a = { .exit_signal = SIGCHLD, .stack = stack_lo, .stack_size = size };
	long r = api == LEAN3 ? cl_clone3(&a, sizeof a, seven, 0)
			      : cl_clone3_snap(&a, sizeof a, seven, 0, 0);
	if (r != -EINVAL) {
		diag("%s, stack 0x%lx, stack_size %lu: got %ld, want -EINVAL (-22)", api_name[api],
		     (unsigned long)stack_lo, (unsigned long)size, r);
		if (r > 0)
			cl_wait((int)r, 0, 0);
		return T_FAIL;
	}
	ASSERT_EQ(a.stack_size, size);	/* refused before it was rewritten */
	for (unsigned i = 0; i < sizeof around; i++)
		if (around[i] != (char)0x5a) {
			diag("%s, stack 0x%lx, stack_size %lu: refused, but byte %d from the stack "
			     "was written", api_name[api], (unsigned long)stack_lo,
			     (unsigned long)size, (int)i - (int)(sizeof around / 2));
			return T_FAIL;
		}
	return T_PASS;
}

static int bad_stacks(void)
{
	uintptr_t mid = (uintptr_t)around + sizeof around / 2;	/* 16-aligned */
	struct cl_clone_args a = { .exit_signal = SIGCHLD };
	if (refused(LEAN3, 0, 0) || refused(LEAN3, 0, 65536) || refused(LEAN3, mid, 0) ||
	    refused(LEAN3, mid, 16) || refused(LEAN3, mid + 3, 20) || refused(LEAN3, mid + 8, 23) ||
	    refused(LEAN3, (uintptr_t)-32, 64))
		return T_FAIL;
	/* The recording frame, as src/lib/asm-offsets.c sizes it. */
	uint64_t frame = ((4 + CL_NREGS) * 8 + 15) & ~(uint64_t)15;
	if (refused(SNAP3, mid, 0) || refused(SNAP3, mid, 128) || refused(SNAP3, mid, frame) ||
	    refused(SNAP3, mid + 8, frame + 7) || refused(SNAP3, (uintptr_t)-64, 1024))
		return T_FAIL;
	ASSERT_EQ(cl_clone3_snap(0, sizeof a, seven, 0, 0), -EINVAL);
	/* The smallest stack the lean one takes: 16 bytes for fn and arg and 16 for fn. */
	a.stack = mid, a.stack_size = 32;
	long pid = cl_clone3(&a, sizeof a, seven, 0);
	if (pid == -ENOSYS && no_clone3())
		return T_PASS;
	ASSERT_OK(pid);
	ASSERT_EQ(a.stack_size, 16);
	int st = 0;
	ASSERT_EQ(cl_wait((int)pid, &st, 0), pid);
	ASSERT(CL_WIFEXITED(st) && CL_WEXITSTATUS(st) == 7);
	return T_PASS;
}

int t_trampoline_clone3_stack_is_checked(void)
{
	if (bad_stacks() != T_PASS)
		return T_FAIL;
	int st;
	ASSERT_EQ(cl_wait(-1, &st, CL_WNOHANG), -ECHILD);	/* no refused call made a child */
	return T_PASS;
}
