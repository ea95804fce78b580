"""Platform faults on a schedule: the bot retries, records every outcome, and loses no case.

The run itself lives in ``benchmarks/faults.py`` (``python -m benchmarks.faults`` prints the
report); here it runs smaller and its figures are checked.
"""

from benchmarks.faults import fault_run, report


async def test_scheduled_faults_lose_no_case_and_every_action_settles(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    r = await fault_run(messages=45, members=15, timeout_delay=0.6, request_timeout=0.3)
    print(report(r))
    # every kind of fault was met, on actions and on getUpdates
    assert set(r["faults"]) == {"429", "500", "timeout", "drop"}
    assert r["faults_on_getUpdates"] > 0
    # nothing lost, nothing invented
    assert r["violations"] == 15
    assert r["cases_lost"] == 0 and r["cases_without_violation"] == 0
    assert r["cases"] == 15
    # every action settled
    assert not any(k.endswith(" pending") for k in r["outcomes"])
    # each fault here is followed by a good answer to the same request, so what is sent alone
    # (deletes, mutes, DMs) was done in the end
    assert r["outcomes"]["delete done"] == 15
    assert not any(k.endswith(" failed") for k in r["outcomes"]
                   if k.split()[0] not in ("warn", "modlog"))
    # warnings and mod-log entries share posts: a retry may go in another post, a request of
    # its own that may meet a fault again. Five tries each make a failure rare (without
    # retries, four entries in nine would fail); any is recorded with why, after the retries.
    grouped_failures = sum(n for k, n in r["outcomes"].items() if k.endswith(" failed"))
    assert grouped_failures <= 3, r["outcomes"]
    assert all("after 5 attempts" in why or why.startswith("rate limited")
               for why in r["failure_reasons"]), r["failure_reasons"]
