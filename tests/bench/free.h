/* free.h: what the freestanding bench programs share (they link crt0.o and
 * libclonelab.a, and use the runtime's SYS*() macros: no libc). */
#include "rt.h"

struct bench_ts { long sec, nsec; };

static inline uint64_t now_ns(void)
{
	struct bench_ts ts;
	SYS2(clock_gettime, 1 /* CLOCK_MONOTONIC */, &ts);
	return (uint64_t)ts.sec * 1000000000u + (uint64_t)ts.nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* argv[1] as a count, or def. */
static inline unsigned long arg_count(int argc, char **argv, unsigned long def)
{
	unsigned long n;
	if (argc > 1 && cl_parse_ulong(argv[1], &n) == 0 && n > 0)
		return n;
	return def;
}

static inline __attribute__((noreturn)) void die(const char *what, long e)
{
	cl_perror("bench", what, e, 0);
	cl_exit(1);
}

/* The one line every loop program prints: nanoseconds per operation. */
static inline void report(uint64_t t0, uint64_t t1, unsigned long n)
{
	outf("%lu\n", (unsigned long)((t1 - t0) / n));
}

/* The loop every in-process bench runs: `warm` untimed calls of one() (caches, stack
 * cache), then n timed ones, then the report line. */
static inline __attribute__((always_inline)) void time_calls(void (*one)(void),
							     unsigned long warm, unsigned long n)
{
	for (unsigned long i = 0; i < warm; i++)
		one();
	uint64_t t0 = now_ns();
	for (unsigned long i = 0; i < n; i++)
		one();
	report(t0, now_ns(), n);
}
