"""Exactly once under faults: kiosks keep posting (as the kiosk page does: same submission ids on every retry,
backoff with jitter) while the server is killed with `kill -9` (master and workers) and PostgreSQL is restarted;
every answer a kiosk was told is stored must then be in the database once. A short run of bench/faults.py on a
private PostgreSQL cluster of its own (it restarts it), so never on a shared server."""

from __future__ import annotations

import pytest

from bench.faults import Options, parse_faults, print_report, run
from tests.support.postgres import cluster_unavailable

pytestmark = pytest.mark.slow


def test_no_acknowledged_answer_is_lost_or_stored_twice_across_kill_9_and_a_postgresql_restart() -> None:
    reason = cluster_unavailable()
    if reason:
        pytest.skip(f"needs a private PostgreSQL cluster: {reason}")
    options = Options(
        kiosks=3,
        seconds=20.0,
        interval=0.4,
        faults=parse_faults("kill9@4,pg-fast@10"),
        down=1.0,
        gap=4.0,
        drain_timeout=30.0,
        verbose=False,
    )

    report = run(options)
    print_report(report, options)  # shown by pytest when the test fails

    assert report.acknowledged > 0
    assert report.lost == 0, report.details
    assert report.duplicated == 0, report.details
    assert report.held == 0  # nothing refused as a conflict or invalid: retries are identical replays
    assert report.not_acknowledged == 0, "the kiosks could not empty their queues after the faults"
    assert report.failed_posts > 0, "the faults were not seen by the kiosks"
    assert [outcome.recovery is not None for outcome in report.faults] == [True, True]
