"""libclonelab.a from other people's programs: a hosted one (glibc in every link mode,
musl) and a freestanding one built the way the README says, from `make install`."""
import os
import shutil
import subprocess

from harness import Skip, ROOT

HOSTED = r'''
#include <stdio.h>
#include <unistd.h>
#include "clonelab.h"
static int work(void *arg) { return (int)(long)arg * 2; }
int main(void)
{
	struct cl_thread *t;
	int r = -1, st = 0;
	if (cl_thread_spawn(&t, work, (void *)21L) < 0 || cl_thread_join(t, &r) < 0)
		return 1;
	fflush(stdout);
	long pid = cl_fork();
	if (pid == 0)
		_exit(3);
	cl_wait(pid, &st, 0);
	printf("thread %d, child %d\n", r, CL_WEXITSTATUS(st));
	return 0;
}
'''

FREESTANDING = r'''
#include "clonelab.h"
#include "sysnr.h"
int main(void)
{
	long pid = cl_fork();
	if (pid == 0)
		return 5;
	int st;
	cl_wait((int)pid, &st, 0);
	cl_say("child exited ", CL_WEXITSTATUS(st));
	return 0;
}
'''


def installed(bed):
    """make install into a private DESTDIR: (include dir, lib dir)."""
    if bed.qemu:
        raise Skip("a host toolchain links host programs: the native bed covers this")
    dest = os.path.join(bed.tmpdir(), "inst")
    if not os.path.isdir(dest):
        r = subprocess.run(["make", "-s", "install", f"ARCH={bed.arch}", "PREFIX=/usr",
                            f"DESTDIR={dest}"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    return os.path.join(dest, "usr/include/clonelab"), os.path.join(dest, "usr/lib/clonelab")


def build_and_run(cmd, exe):
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr}"
    return subprocess.run([exe], capture_output=True, text=True, timeout=20)


def test_hosted_programs_link_the_library(bed):
    inc, lib = installed(bed)
    src = os.path.join(bed.tmpdir(), "hosted.c")
    open(src, "w").write(HOSTED)
    modes = [["gcc"], ["gcc", "-no-pie"], ["gcc", "-static"], ["gcc", "-static-pie"]]
    if shutil.which("musl-gcc"):
        modes.append(["musl-gcc", "-static"])
    for mode in modes:
        exe = os.path.join(bed.tmpdir(), "hosted-" + "-".join(mode))
        r = build_and_run(mode + ["-O2", "-I", inc, src, os.path.join(lib, "libclonelab.a"),
                                  "-o", exe], exe)
        assert (r.returncode, r.stdout) == (0, "thread 42, child 3\n"), (mode, r)


def test_freestanding_program_as_the_readme_says(bed):
    inc, lib = installed(bed)
    src = os.path.join(bed.tmpdir(), "free.c")
    obj = os.path.join(bed.tmpdir(), "free.o")
    exe = os.path.join(bed.tmpdir(), "free")
    open(src, "w").write(FREESTANDING)
    r = subprocess.run(["gcc", "-ffreestanding", "-nostdlib", "-static", "-I", inc, "-c", src,
                        "-o", obj], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = build_and_run(["gcc", "-nostdlib", "-static", "-T", os.path.join(lib, "clonelab.ld"),
                       "-o", exe, os.path.join(lib, "crt0.o"), obj,
                       os.path.join(lib, "libclonelab.a")], exe)
    assert (r.returncode, r.stdout) == (0, "child exited 5\n"), r
    ph = subprocess.run(["readelf", "-lW", exe], capture_output=True, text=True).stdout
    assert "INTERP" not in ph and "GNU_STACK" in ph, ph
