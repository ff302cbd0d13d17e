"""sink.side_by_side: a batch's derived writes have all ended before the batch is written again or committed."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab.pipeline import sink


def test_a_failed_write_is_raised_only_after_the_other_write_ended():
    ended = threading.Event()
    release = threading.Timer(0.3, lambda: None)

    def fails_at_once():
        raise RuntimeError("top_zones: no host available")

    def slow():  # a write still retrying against a Cassandra that is coming back
        release.start()
        release.join()
        ended.set()

    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(RuntimeError, match="top_zones"):
            sink.side_by_side(pool, fails_at_once, slow)
        assert ended.is_set(), "the failure was raised while the borough write still ran: it could land later"


def test_every_write_runs_and_the_first_failure_wins():
    ran = []
    with ThreadPoolExecutor(2) as pool:
        sink.side_by_side(pool, lambda: ran.append("a"), lambda: ran.append("b"))
        assert sorted(ran) == ["a", "b"]

        def boom(what):
            def write():
                raise ValueError(what)

            return write

        with pytest.raises(ValueError, match="first"):
            sink.side_by_side(pool, boom("first"), boom("second"))
