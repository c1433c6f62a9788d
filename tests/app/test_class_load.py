"""A class on one server, scaled down (issue 19): six simulated browser sessions of the app, in this
process as sessions of one server, each load a sample on the Data page and train the default set on
the Train page at the same moment, while the server runs at most two jobs at once.

The full 30-session load is `bench/bench_class.py`; both drive sessions through `load_sessions`.
"""

from __future__ import annotations

from collections import defaultdict

from load_sessions import percentile, run_class

SESSIONS = 6
SAMPLES = ("iris", "penguins", "wine")  # two sessions on each: same data, settings, seed
BOUND = 2
MODELS = 11  # the default classification set ("Compare all")
# The server's memory (its process, fork server and job workers, by RSS) grew by 480-520 MiB while this
# class trained on 2 cores, from a server that had served the app and started its fork server: two
# job workers of about 190 MiB each (much of it shared with the fork server, but counted in each) and
# some 100 MiB for six sessions' pages and runs. The bound is well over twice that, for other library
# versions and allocators; a queue that let all twelve of the class's workers run at once would pass
# 2,000 MiB.
MEMORY_GROWTH_MIB = 1_200
# A page rerun takes about 0.1-0.3 s at the median here, while two cores train; the benchmark reports
# the 95th percentile against its target of 0.5 s. This bound only catches a page stalled behind the
# training (a rerun that waits for a model to finish would take seconds).
RERUN_P95_S = 2.0


def test_six_sessions_train_at_once_on_two_slots_without_losing_a_run():
    result = run_class(SESSIONS, SAMPLES, bound=BOUND, together=True)
    sessions = result.sessions

    assert not result.errors, "\n".join(result.errors)
    for session in sessions:  # every model asked for has its run, and it is ok: no lost runs
        assert session.asked == MODELS
        assert session.finished is not None
        assert [row["status"] for row in session.board] == ["ok"] * MODELS, session.board
    assert result.lost == 0

    by_sample = defaultdict(list)  # the same data, settings and seed give the same leaderboard
    for session in sessions:
        by_sample[session.sample].append(session.scores())
    for sample, boards in by_sample.items():
        assert len(boards) == SESSIONS // len(SAMPLES)
        assert all(board == boards[0] for board in boards), sample

    # Each session is its own owner in the queue; never more than BOUND jobs (and workers) at once.
    owners = {session.owner for session in sessions}
    assert len(owners) == SESSIONS and result.owners == owners
    assert result.most_running == BOUND
    assert result.peak.workers <= BOUND
    assert result.most_sessions >= 3  # the sessions really waited together
    # At most two sessions found a free slot at their click; every other one waited, and its page
    # said where it stood in line.
    assert sum(session.saw_place for session in sessions) >= SESSIONS - BOUND

    growth = (result.peak.total - result.baseline.total) / 2**20
    assert growth < MEMORY_GROWTH_MIB, f"the server grew by {growth:.0f} MiB"
    reruns = result.reruns()
    assert len(reruns) >= SESSIONS * 2
    assert percentile(reruns, 95) < RERUN_P95_S, sorted(reruns)[-5:]
