"""settle_heap: a long-lived process's loaded data is frozen out of the collector's walks, its garbage is not."""

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_what_is_alive_when_the_heap_settles_is_never_walked_again_by_a_collection():
    out = _run("""
        import gc
        from bot.spawned import settle_heap
        index = [[i] for i in range(50_000)]      # the knowledge, loaded once (lists are tracked)
        settle_heap()
        print(gc.get_freeze_count() >= 50_000, gc.get_count()[0] < 50)
    """)
    assert out == "True True"


def test_cycles_made_after_the_heap_settled_are_still_collected():
    out = _run("""
        import gc, weakref
        from bot.spawned import settle_heap
        settle_heap()
        class Turn: pass
        a, b = Turn(), Turn()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        print(gone() is None)
    """)
    assert out == "True"
