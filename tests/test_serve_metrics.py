"""`GET /metrics` of `runbench serve`: the Prometheus text an operator scrapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from test_serve import Served, wait_final
from waits import wait_for


def scrape(served: Served) -> dict[str, float]:
    resp = served.http.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def scraped_when(served: Served, name: str, value: float) -> dict[str, float]:
    """The samples of the first scrape where ``name`` is ``value``."""
    last: dict[str, float] = {}

    def reached() -> bool:
        last.clear()
        last.update(scrape(served))
        return last.get(name) == value

    try:
        wait_for(reached, f"{name} to become {value}", 15)
    except AssertionError as exc:
        raise AssertionError(f"{exc} (last: {last.get(name)})") from None
    return last


def test_metrics_count_intake_rejections_runs_and_steps(tmp_path: Path) -> None:
    served = Served(tmp_path)
    try:
        before = scrape(served)
        assert before["runbench_queue_depth{}"] == 0
        accepted = served.post("open", {"n": 1})
        again = served.post("open", {"n": 2})
        assert accepted.status_code == again.status_code == 202
        for run in (accepted, again):
            wait_final(served.journal, run.json()["run_id"])
        assert served.post("open", {}).status_code == 422  # n is required
        assert served.post("nope", {}).status_code == 404
        assert served.post("nope", {}).status_code == 404
        assert served.post("basic", {}).status_code == 401
        samples = scraped_when(
            served, "runbench_runs_finished_total{runbook=open,status=success}", 2
        )
        assert samples["runbench_intake_accepted_total{runbook=open}"] == 2
        assert samples["runbench_requests_rejected_total{status=422}"] == 1
        assert samples["runbench_requests_rejected_total{status=404}"] == 2
        assert samples["runbench_requests_rejected_total{status=401}"] == 1
        assert samples["runbench_step_duration_seconds_count{kind=method,runbook=open}"] == 2
        assert samples["runbench_step_duration_seconds_count{kind=end,runbook=open}"] == 2
        assert not any("nope" in name for name in samples)  # no label from a crafted path
    finally:
        served.close()


def test_queue_depth_is_the_backlog(tmp_path: Path) -> None:
    served = Served(tmp_path, workers=0)  # only queue: nothing is claimed
    try:
        for n in range(3):
            assert served.post("open", {"n": n}).status_code == 202
        assert scrape(served)["runbench_queue_depth{}"] == 3
    finally:
        served.close()


def counts(metrics: Any) -> dict[str, float]:
    """Every sample but the instruments' creation times."""
    return {k: v for k, v in metrics.exposition().items() if "_created" not in k}


def test_a_batched_report_counts_what_its_entries_count_one_by_one() -> None:
    from runbench.serve.metrics import ServeMetrics, batched

    entries = [
        ("step", "hook", "condition", 0.003),
        ("step", "hook", "end", 0.2),
        ("run", "hook", "success", 1),
        ("step", "hook", "condition", 7.0),
        ("run", "hook", "failure", 1),
        ("run", "hook", "success", 1),
        ("step", "other", "end", 0.02),
        ("run", "other", "success", 1),
    ]
    one_by_one, grouped = ServeMetrics(frozenset()), ServeMetrics(frozenset())
    for entry in entries:
        one_by_one.apply(entry)
    report = batched(entries)
    assert len(report) == 6  # three step groups, three run counts
    for entry in report:
        grouped.apply(entry)
    assert counts(grouped) == counts(one_by_one)
    assert (
        grouped.exposition()['runbench_runs_finished_total{runbook="hook",status="success"}'] == 2
    )


def test_a_malformed_report_entry_counts_nothing() -> None:
    from runbench.serve.metrics import ServeMetrics

    metrics, untouched = ServeMetrics(frozenset()), ServeMetrics(frozenset())
    for entry in [
        ("steps", "hook", "end", "x"),
        ("run", "hook", "success", -3),
        ("run", 1, "a", 1),
    ]:
        metrics.apply(entry)
    assert counts(metrics) == counts(untouched)


def test_a_step_alone_and_steps_in_a_list_share_one_labelled_child() -> None:
    """The labelled instruments are cached by metric family: a step's duration sent alone
    (``step``) and in a batch (``steps``) land in the same histogram child."""
    from runbench.serve.metrics import ServeMetrics

    metrics = ServeMetrics(frozenset())
    metrics.apply(("step", "hook", "end", 0.5))
    metrics.apply(("steps", "hook", "end", [0.25, 0.25]))
    metrics.apply(("run", "hook", "end", 1))  # a run status that happens to equal a step kind
    found = metrics.exposition()
    assert found['runbench_step_duration_seconds_count{kind="end",runbook="hook"}'] == 3
    assert found['runbench_step_duration_seconds_sum{kind="end",runbook="hook"}'] == 1.0
    assert found['runbench_runs_finished_total{runbook="hook",status="end"}'] == 1
    assert len(metrics._labelled) == 2  # one child per family and labels


def test_accepted_deliveries_are_counted_when_the_numbers_are_read() -> None:
    """A 202 is a plain count until the metrics are read: every read sees each 202 once,
    however many reads and 202s interleave, and a path that is not a public runbook's gets
    no label (a crafted path cannot make one)."""
    from runbench.serve.metrics import ServeMetrics

    metrics = ServeMetrics(frozenset({"hook"}))
    name = 'runbench_intake_accepted_total{runbook="hook"}'
    for _ in range(3):
        metrics.request("/runbooks/hook", 202)
    metrics.request("/runbooks/nope", 202)
    metrics.request("/elsewhere", 202)
    metrics.request("/runbooks/hook", 401)
    assert metrics.exposition()[name] == 3
    assert metrics.exposition()[name] == 3  # read again: nothing added twice
    metrics.request("/runbooks/hook", 202)
    found = metrics.exposition()
    assert found[name] == 4
    assert found['runbench_requests_rejected_total{status="401"}'] == 1
    assert not any("nope" in key or "elsewhere" in key for key in found)
