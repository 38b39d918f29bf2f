/* thread.c: threads on raw clone, joined through the kernel's CHILD_CLEARTID futex.
 *
 * One mapping per thread: [guard][stack ......][struct cl_thread]. The struct
 * sits at the top, so the stack grows down away from it, and it doubles as the TLS
 * block (its first words are the TCB the architecture's TLS ABI wants at the thread
 * pointer: CL_TLS_INIT in arch/<arch>/abi.h). Joined threads' mappings are kept for the next spawn:
 * a stack is reused only after the kernel has zeroed its tid word, which it does
 * after the thread's last touch of it. */
#include "rt.h"

/* Joined threads' mappings, ready for reuse: a list of at most CACHE_MAX. */
#define CACHE_MAX 16
static struct cl_thread *cache;
static unsigned cached;
/* A spin lock (yielding) that guards `cache` and `cached`, the list and its length,
 * which any thread may spawn from, join into or trim at once. Nothing else. */
static int cache_lock;

static void lock(void)
{
	while (__atomic_exchange_n(&cache_lock, 1, __ATOMIC_ACQUIRE))
		SYS0(sched_yield);
}

static void unlock(void) { __atomic_store_n(&cache_lock, 0, __ATOMIC_RELEASE); }

/* The new thread's first C: the caller's signal mask back (cl_thread_spawn blocked
 * every signal across the clone), then its function. */
static int entry(void *p)
{
	struct cl_thread *t = p;
	cl_set_sigmask(&t->sigmask);
	return t->result = t->fn(t->arg);
}

/* The guard is 64 KiB: a whole page on every arm64 page size (4, 16 or 64 KiB), so no
 * page-size lookup is needed, and PROT_NONE address space costs no memory. */
#define GUARD (64 * 1024)

static struct cl_thread *new_thread(void)
{
	size_t block_size = (sizeof(struct cl_thread) + 63) & ~(size_t)63;	/* TCB + ours */
	size_t size = GUARD + CL_THREAD_STACK;	/* a multiple of every page size */
	long map = SYS6(mmap, 0, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (cl_is_err(map))
		return (struct cl_thread *)map;
	/* Everything above the guard becomes usable; the guard stays PROT_NONE. */
	long r = SYS3(mprotect, map + GUARD, size - GUARD, PROT_READ | PROT_WRITE);
	if (r < 0) {
		SYS2(munmap, map, size);
		return (struct cl_thread *)r;
	}
	/* at the top */
	struct cl_thread *t = (struct cl_thread *)(map + (long)(size - block_size));
	t->map = (void *)map;
	t->map_size = size;
	return t;
}

int cl_thread_spawn(struct cl_thread **tp, int (*fn)(void *), void *arg)
{
	if (!fn)	/* as cl_clone: entry() would call address 0 in the thread */
		return -EINVAL;
	lock();
	struct cl_thread *t = cache;
	if (t)
		cache = t->next, cached--;
	unlock();
	if (!t) {
		t = new_thread();
		if (cl_is_err((long)t))
			return (int)(long)t;
	}
	CL_TLS_INIT(t->tcb);
	t->fn = fn;
	t->arg = arg;
	t->tid = 0;
	cl_flush_if_linked();
	/* Block every signal across the clone: a handler must not run in the new thread
	 * before entry() has it set up. entry() restores the mask saved here. */
	cl_block_all(&t->sigmask);
	long r = cl_clone(entry, t, CL_THREAD_FLAGS, t, (int *)&t->tid, t, (int *)&t->tid);
	cl_set_sigmask(&t->sigmask);
	if (r < 0) {
		SYS2(munmap, t->map, t->map_size);
		return (int)r;
	}
	*tp = t;
	return 0;
}

/* Precondition: t came from cl_thread_spawn and is joined once, by one thread. */
int cl_thread_join(struct cl_thread *t, int *result)
{
	int tid;
	/* A new thread usually starts on the spawner's CPU (the scheduler keeps a fork
	 * local while that CPU has room), queued behind us. One sched_yield lets a short
	 * thread run to its end right now: no futex wait to set up, and the kernel's
	 * CLEARTID wake then finds no one to wake. Long threads cost one extra syscall. */
	if (__atomic_load_n(&t->tid, __ATOMIC_ACQUIRE) != 0)
		SYS0(sched_yield);
	/* A shared (not FUTEX_PRIVATE) wait: that is the wake the kernel sends. */
	while ((tid = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE)) != 0)
		SYS4(futex, &t->tid, FUTEX_WAIT, tid, 0);
	if (result)
		*result = t->result;
	lock();
	if (cached < CACHE_MAX) {
		t->next = cache, cache = t, cached++;
		t = 0;
	}
	unlock();
	if (t)
		SYS2(munmap, t->map, t->map_size);
	return 0;
}

void cl_thread_trim(void)
{
	lock();
	struct cl_thread *t = cache;
	cache = 0, cached = 0;
	unlock();
	while (t) {
		struct cl_thread *next = t->next;
		SYS2(munmap, t->map, t->map_size);
		t = next;
	}
}
