// cxx.cc: a hosted C++ consumer (extern "C" from the header). Prints "c++: 22".
#include <atomic>
#include "clonelab.h"
static std::atomic<int> n{0};
static int work(void *) { n += 20; return 2; }
int main()
{
	struct cl_thread *t;
	int r = 0;
	if (cl_thread_spawn(&t, work, nullptr) < 0 || cl_thread_join(t, &r) < 0)
		return 1;
	cl_printf(&cl_stdout, "c++: %d\n", n.load() + r);
	return 0;
}
