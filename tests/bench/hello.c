/* hello.c: the hosted peer for start-up and size: built with gcc (dynamic and
 * static) and musl-gcc (static). */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
