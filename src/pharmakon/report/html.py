"""The report page: one self-contained HTML file (inline CSS, plots as data URIs, no external URL)."""

from __future__ import annotations

from html import escape

from pharmakon.report.plots import Plot

UNKNOWN = "unknown"

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:1280px;
  margin:0 auto;padding:12px 24px 40px;background:#fff}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd;
  padding-bottom:3px}h3{font-size:14px;margin:16px 0 6px}
p.description{margin:2px 0 10px;color:#444}nav{font-size:13px;margin-bottom:6px}nav a{margin-right:12px}
table.meta{border-collapse:collapse;font-size:13px}table.meta td{padding:1px 14px 1px 0;vertical-align:top}
table.meta td:first-child{color:#666;white-space:nowrap}
.plots{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
img.plot{max-width:100%;height:auto;border:1px solid #e4e4e4;border-radius:4px}
table.samples{border-collapse:collapse;font-size:12px;width:100%;table-layout:fixed}
.samples th{text-align:left;font-weight:600;border-bottom:1px solid #bbb;padding:3px 6px}
.samples td{vertical-align:top;padding:2px 6px;border-top:1px solid #f0f0f0;overflow-wrap:anywhere}
.samples tr.stage-start td{border-top:1px solid #bbb}
.samples th.stage{width:7%}.samples th.variant{width:8%}.samples th.verdict{width:5%}
.samples td.text{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap}
.samples td.yes{font-weight:700}.samples td.no{color:#777}.samples td.missing{color:#aaa}
pre.spec{background:#f6f8fa;border:1px solid #e4e4e4;border-radius:4px;padding:10px 12px;font-size:12px;
  overflow:auto}
"""

SCRIPT = """
window.addEventListener("load", function () {
  var plots = document.querySelectorAll("img.plot"), loaded = 0;
  plots.forEach(function (img) { if (img.complete && img.naturalWidth > 0) { loaded += 1; } });
  document.body.dataset.plotsLoaded = String(loaded);
  document.body.dataset.plotsTotal = String(plots.length);
});
"""


def text(value) -> str:
    """A value for the page, escaped; missing reads "unknown"."""
    return UNKNOWN if value is None or value == "" else escape(str(value))


def _seconds(value) -> str:
    return f"{value:.1f} s" if isinstance(value, int | float) and not isinstance(value, bool) else text(value)


def _nodes(nodes) -> str:
    if not isinstance(nodes, dict):
        return UNKNOWN
    return " · ".join(f"{key} {text(nodes.get(key))}" for key in ("total", "cached", "computed"))


def _environment_rows(env) -> list[tuple[str, str]]:
    if not isinstance(env, dict) or not env:
        return [("environment", UNKNOWN)]
    packages = env.get("packages")
    rows = [("versions", " · ".join(f"{escape(str(k))} {text(v)}" for k, v in packages.items())
             if isinstance(packages, dict) and packages else UNKNOWN)]
    host = f"{text(env.get('hostname'))} · {text(env.get('machine'))} · {text(env.get('processor'))} · " \
           f"{text(env.get('cpu_count'))} CPUs"
    rows += [("python", text(env.get("python"))), ("platform", text(env.get("platform"))), ("host", host)]
    known = {"packages", "python", "platform", "hostname", "machine", "processor", "cpu_count"}
    rows += [(str(k), text(v)) for k, v in env.items() if k not in known]
    return rows


def metadata_table(meta: dict, axes: list[str], seeds: list, run_name: str) -> str:
    """The run's metadata from run.json; every missing key reads "unknown"."""
    rows = [("run dir", escape(run_name)), ("started", text(meta.get("started"))),
            ("finished", text(meta.get("finished"))), ("seconds", _seconds(meta.get("seconds"))),
            ("nodes", _nodes(meta.get("nodes"))),
            ("swept", escape(", ".join(axes)) if axes else "nothing (x is the lifecycle stage)"),
            ("seeds", escape(", ".join(str(s) for s in seeds)) if seeds else UNKNOWN)]
    shown = {"started", "finished", "seconds", "nodes", "axes", "environment", "study"}
    rows += [(str(k), text(v)) for k, v in meta.items() if k not in shown and isinstance(v, str | int | float)]
    rows += _environment_rows(meta.get("environment"))
    body = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="meta">{body}</table>'


def plots_section(plots: list[Plot]) -> str:
    """The figures, a heading per probe."""
    if not plots:
        return "<p>No results recorded.</p>"
    parts, probe = [], None
    for plot in plots:
        if plot.probe != probe:
            parts.append(("</div>" if probe is not None else "") + f'<h3>{escape(plot.probe)}</h3><div class="plots">')
            probe = plot.probe
        alt = escape(f"{plot.probe} {plot.metric}")
        parts.append(f'<img class="plot" src="{plot.uri}" width="{plot.width}" height="{plot.height}" alt="{alt}" '
                     f'title="{alt}">')
    return "".join(parts) + "</div>"


def page(title: str, description: str, metadata: str, plots: str, samples: str, spec: str, note: str = "",
         question: str = "", anchor: str = "", finding: str = "") -> str:
    """The whole page."""
    description_html = f'<p class="description">{escape(description)}</p>' if description else ""
    if question:
        description_html += f'<p class="description"><b>Question:</b> {escape(question)}</p>'
    if anchor:
        description_html += f'<p class="description"><b>Published finding:</b> {escape(anchor)}</p>'
    if finding:
        description_html += f'<p class="description"><b>This run:</b> {escape(finding)}</p>'
    spec_html = f'<pre class="spec">{escape(spec)}</pre>' if spec.strip() else "<p>No spec.yaml in the run dir.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)} — pharmakon report</title><style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>{description_html}
<nav><a href="#results">results</a><a href="#samples">sample generations</a><a href="#spec">spec</a></nav>
{metadata}
<h2 id="results">Results</h2>
<p class="description">{note}</p>
{plots}
<h2 id="samples">Sample generations</h2>
{samples}
<h2 id="spec">Resolved spec</h2>
{spec_html}
<script>{SCRIPT}</script>
</body></html>
"""
