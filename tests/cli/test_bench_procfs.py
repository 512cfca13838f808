"""The CPU the benchmarks report beside wall-clock figures: a process tree's, children included."""

import os
import subprocess
import sys

from bot.benchmarks.procfs import load_average, tree_cpu

SPIN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nprint('spun', flush=True)\ntime.sleep(30)\n"


def test_a_busy_child_counts_in_its_parents_cpu_tree():
    child = subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "spun"       # it has used 0.3 s of CPU by now
        tree = tree_cpu(os.getpid())
        assert str(os.getpid()) in tree
        assert tree[str(child.pid)] >= 0.29
    finally:
        child.kill()
        child.wait()


def test_a_process_that_is_gone_has_no_cpu_figures():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert tree_cpu(child.pid) == {}


def test_the_load_average_is_three_figures():
    assert len(load_average().split()) == 3
