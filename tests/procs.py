"""procs.py: the process table as /proc shows it, for the test scripts (tests/fuzz,
tests/mutate, tests/host): who is left in a session, and whose zombies are whose."""
import os
import signal
import time


def procs():
    """(pid, state, ppid, session) of every process /proc lists now."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue  # gone meanwhile
        f = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": the comm may hold spaces
        yield int(d), f[0], int(f[1]), int(f[3])


def kill_session(sid, tries=100, nap=0.02):
    """SIGKILL what is left of session sid (one we started), until none is left."""
    for _ in range(tries):
        left = [pid for pid, state, _, s in procs() if s == sid and state not in "ZX"]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not left:
            return
        time.sleep(nap)


def zombies_of(pid):
    """pids of the zombie children of pid."""
    return [p for p, state, ppid, _ in procs() if state == "Z" and ppid == pid]
