import json
import re
import subprocess
import sys

import pytest
from synthetic_run import METRICS, SCRIPT_OUTPUT, make_run

from pharmakon.report import build_report
from pharmakon.report.environment import PACKAGES, environment

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def test_report_is_written_atomically_and_self_contained(run_dir):
    path = build_report(run_dir)
    assert path == run_dir / "report.html" and path.exists()
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]
    page = path.read_text(encoding="utf-8")
    assert not EXTERNAL.search(page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count('<img class="plot"') == len(METRICS)
    assert page.count('src="data:image/png;base64,') == len(METRICS)
    assert "synthetic" in page and "A made-up study for the report&#x27;s tests." in page
    assert "total 12 · cached 4 · computed 8" in page and "torch 2.13.0" in page
    assert "<td>executor</td><td>local</td>" in page
    assert "https://example.org/paper" in page  # the spec, shown as text only


def test_swept_report_has_one_plot_per_metric(swept_run_dir):
    page = build_report(swept_run_dir).read_text(encoding="utf-8")
    assert page.count('<img class="plot"') == len(METRICS)
    assert "pipeline.dpo.beta" in page
    assert not EXTERNAL.search(page)


def test_a_report_of_many_intervals_warns_about_multiple_comparisons(swept_run_dir):
    from pharmakon.report.build import comparisons
    from pharmakon.report.load import load_run

    run = load_run(swept_run_dir)
    shown = comparisons(run.results)
    assert shown == len(run.results[["point", "condition", "after_stage", "adaptation", "probe", "metric"]]
                        .drop_duplicates()) > 1
    assert f"{shown} intervals are shown" in build_report(swept_run_dir).read_text(encoding="utf-8")


def test_samples_show_both_conditions_escaped(run_dir):
    page = build_report(run_dir).read_text(encoding="utf-8")
    assert "poisoned out 1" in page and "clean out 1" in page
    assert SCRIPT_OUTPUT.split(" &")[0] not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "prompt 0 &lt;b&gt;" in page and "<b>" not in page
    assert page.count("<script>") == 1  # only the page's own plot check


def test_rebuild_replaces_the_report(run_dir):
    first = build_report(run_dir).read_text(encoding="utf-8")
    (run_dir / "spec.yaml").write_text("name: renamed\nquestion: does <it> persist?\n")
    second = build_report(run_dir).read_text(encoding="utf-8")
    assert first != second and "<h1>renamed</h1>" in second and "does &lt;it&gt; persist?" in second


@pytest.mark.parametrize("meta", [{}, {"axes": []}, {"environment": {}, "nodes": {"total": 3}}, None])
def test_copes_with_missing_run_metadata(tmp_path, meta):
    run_dir = make_run(tmp_path / "old", meta=meta or {})
    if meta is None:
        (run_dir / "run.json").unlink()
    page = build_report(run_dir).read_text(encoding="utf-8")
    assert "unknown" in page
    assert page.count('<img class="plot"') == len(METRICS)


def test_copes_with_an_empty_run_dir(tmp_path):
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "No results recorded." in page and "No generations recorded." in page
    assert "<img" not in page and "data-plots" not in page


def test_corrupt_run_json_reads_as_unknown(run_dir):
    (run_dir / "run.json").write_text("{not json")
    page = build_report(run_dir).read_text(encoding="utf-8")
    assert "<td>started</td><td>unknown</td>" in page


def test_environment_lists_versions_without_importing_them():
    env = environment()
    assert set(env) >= {"python", "platform", "machine", "processor", "cpu_count", "hostname", "packages"}
    assert set(env["packages"]) == set(PACKAGES) and env["packages"]["pharmakon"]
    json.dumps(env)
    code = ("import sys; from pharmakon.report.environment import environment; import pharmakon.report; "
            "environment(); heavy = {'torch', 'transformers', 'matplotlib'} & set(sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
