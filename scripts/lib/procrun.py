"""procrun.py: run one workload process and account for it.

Every profile measurement is a pair of processes of the same binary with
the same setup and warm-up: one with --runs K, one with --runs 0.  The
difference is exactly K timed runs, so setup, warm-up, teardown, the
dynamic loader and any wrapper (taskset, perf, strace, valgrind) cancel
out.  Per-op figures divide that difference by K * ops_per_run.
"""
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

RESULT_RE = re.compile(r"^RESULT .*\bops_per_run=(\d+).*\bns_per_op=([\d.]+)"
                       r".*\bus_per_run=([\d.]+)")


class RunError(Exception):
    """A workload process failed (crash, miscount, wrong library, hang)."""


def _describe_status(status):
    if status < 0:
        return f"killed by signal {signal.Signals(-status).name}"
    return {2: "exit 2 (MISCOUNT: wrong event count)",
            3: "exit 3 (loaded the wrong libevent)",
            64: "exit 64 (usage or setup error)"}.get(status, f"exit {status}")


def _run_delay_s(pid):
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def workload_cmd(binary, spec, runs):
    """The argv of one workload process (no wrapper)."""
    return [binary, "--size", spec["size"], "--runs", str(runs),
            "--warmup", str(spec["warmup"])]


def pinned(spec, argv):
    """Prefixes `argv` with taskset pinning from the workload file."""
    return ["taskset", "-c", spec["cpus"]] + argv


def run(argv, timeout_s, what, env=None):
    """Runs `argv` to completion and returns its output and exact rusage.

    Returns a dict: out, err (text), wall_s, user_s, sys_s, nvcsw, nivcsw,
    maxrss_kb, run_delay_s (time runnable but waiting for a CPU, from
    /proc/PID/schedstat; 0 when the kernel does not expose it).  Raises RunError on a non-zero status, or when the process
    outlives `timeout_s` (it is killed: a hang is a failure).  `what`
    names the run in error messages.  os.wait4 on the child makes the
    figures belong to this process (and the descendants it waited for)
    alone; output goes to temp files so waiting cannot fill a pipe.
    """
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=fo, stderr=fe, env=env,
                                start_new_session=True)
        hung = []

        def kill_tree():
            hung.append(True)
            os.killpg(proc.pid, signal.SIGKILL)

        # A blocking wait4 keeps the wall time exact; the timer turns a
        # hang into a kill (and a failure) instead of waiting forever.
        timer = threading.Timer(timeout_s, kill_tree)
        timer.start()
        try:
            # Wait for the exit without reaping, so the zombie's scheduler
            # statistics (time spent runnable but not running) can still
            # be read; then reap it for its rusage.
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            wall = time.monotonic() - t0
            run_delay = _run_delay_s(proc.pid)
            _, status, ru = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        if hung:
            proc.returncode = -9
            raise RunError(f"{what}: hang (no exit after {timeout_s} s): "
                           + " ".join(argv))
        proc.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if proc.returncode != 0:
        tail = "\n".join(err.strip().splitlines()[-5:])
        raise RunError(f"{what}: {_describe_status(proc.returncode)}: "
                       + " ".join(argv) + (f"\n{tail}" if tail else ""))
    return {"out": out, "err": err, "wall_s": wall,
            "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
            "nvcsw": ru.ru_nvcsw, "nivcsw": ru.ru_nivcsw,
            "run_delay_s": run_delay,
            "maxrss_kb": ru.ru_maxrss}


def parse_result(out, what):
    """Returns (ops_per_run, ns_per_op, us_per_run) from a RESULT line."""
    for line in out.splitlines():
        m = RESULT_RE.match(line)
        if m:
            return int(m.group(1)), float(m.group(2)), float(m.group(3))
    raise RunError(f"{what}: no RESULT line in the workload's output")
