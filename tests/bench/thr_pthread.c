/* thr_pthread.c: thread create + join with a libc's pthreads (glibc or musl).
 *   thr_pthread [N [STACKSIZE]]   STACKSIZE 0 (default): default attributes */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "hosted.h"

static void *fn(void *arg) { return arg; }

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000;
	long stack = argc > 2 ? atol(argv[2]) : 0;
	pthread_attr_t attr, *ap = 0;
	if (stack) {
		pthread_attr_init(&attr);
		if (pthread_attr_setstacksize(&attr, stack))
			return 1;
		ap = &attr;
	}
	long long t0 = 0;
	for (long i = 0; i < n + 20; i++) {
		if (i == 20)
			t0 = now_ns();
		pthread_t t;
		if (pthread_create(&t, ap, fn, 0) || pthread_join(t, 0))
			return 1;
	}
	printf("%lld\n", (now_ns() - t0) / n);
	return 0;
}
