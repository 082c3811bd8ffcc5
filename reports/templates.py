"""The Jinja2 templates of the weekly report (Markdown, HTML) and of the archive index, as strings.

Kept in a module rather than .j2 files so an installed wheel needs no package-data. Markdown templates
run without autoescape and escape every text with the `md` filter; HTML templates run with autoescape.
"""

MARKDOWN = """\
{% macro links(p) -%}
{% for label, url in paper_links(p) %}[{{ label }}]({{ url | mdurl }}){% if not loop.last %} · {% endif %}{% endfor %}
{%- endmacro %}
{% macro paper(p) %}{% if p.hf_url %}[{{ p.title | md }}]({{ p.hf_url | mdurl }}){% else %}{{ p.title | md }}{% endif %}{% endmacro %}
{% macro terms_table(terms) %}

| Term | Papers | Before, a week | Score | Over |
|---|--:|--:|--:|---|
{% for t in terms %}
| {{ t.term | md }} | {{ t.count }} | {{ t.baseline_per_week }} | {{ t.score | num }} | {{ t.horizon | horizon | md }} |
{% endfor %}
{% endmacro %}
# Trending papers, {{ r.week }} (week of {{ r.week_start.isoformat() }})
{% for note in r.notes %}

> **Note:** {{ note | md }}
{% endfor %}

## Headline numbers

| Source | This week | Last week | Baseline mean ({{ baseline_weeks }} weeks) |
|---|--:|--:|--:|
{% for row in headline %}
| {{ row.source | md }} | {{ row.now }} | {{ row.last | count_change(row.now) }} | {{ row.baseline | count_change(row.now) }} |
{% endfor %}
{% if charts.get("volume") %}

![Papers per week by source]({{ charts["volume"] | mdurl }})
{% endif %}

## Rising topics
{% if charts.get("topics") %}

![Share of the top rising topics per week]({{ charts["topics"] | mdurl }})
{% endif %}
{% for horizon, title, topics in horizons %}

### {{ title | md }}

| Topic | Trend | Papers | Share | Baseline share | Growth | Score | Upvotes | Top papers |
|---|---|--:|--:|--:|--:|--:|--:|---|
{% for t in topics %}
{% set spark = charts.get(spark_name(t)) %}
| {{ t.label | md }} | {% if spark %}![trend]({{ spark | mdurl }}){% endif %} | {{ t.papers }} | {{ t.share | pct }} \
| {{ t.baseline_share | pct }} | {{ t.growth | growth }} | {{ t.score | num }} | {{ t.upvotes }} \
| {% for p in t.top_papers %}{{ paper(p) }}{% if not loop.last %}<br>{% endif %}{% endfor %} |
{% endfor %}
{% else %}

No rising topics this week.
{% endfor %}

## Rising terms
{% if r.rising_terms %}
{{ terms_table(r.rising_terms) }}
{%- else %}

No rising terms this week.
{% endif %}

## New terms
{% if r.new_terms %}
{{ terms_table(r.new_terms) }}
{%- else %}

No new terms this week.
{% endif %}

## Top papers of the week
{% if r.top_papers %}

| # | Paper | Upvotes | Links |
|--:|---|--:|---|
{% for p in r.top_papers %}
| {{ loop.index }} | {{ p.title | md }} | {{ p.upvotes | count }} | {{ links(p) }} |
{% endfor %}
{% else %}

No papers this week.
{% endif %}

## Trending papers (upvote gain)
{% if r.trending_papers %}

| Paper | Gain | Upvotes | Links |
|---|--:|--:|---|
{% for p in r.trending_papers %}
| {{ p.title | md }} | {{ p.gain | signed }} | {{ p.upvotes | count }} | {{ links(p) }} |
{% endfor %}
{% else %}

No upvote gains recorded this week.
{% endif %}

## Seen on more than one source
{% if r.multi_source_papers %}

| Paper | Sources | Links |
|---|---|---|
{% for p in r.multi_source_papers %}
| {{ p.title | md }} | {{ p.sources | join(", ") | md }} | {{ links(p) }} |
{% endfor %}
{% else %}

No paper was seen on more than one source this week.
{% endif %}
{% if categories %}

## arXiv category mix

| Category | Papers | Share |
|---|--:|--:|
{% for category, papers, share in categories %}
| {{ category | md }} | {{ papers }} | {{ share | pct }} |
{% endfor %}
{% endif %}
"""

_STYLE = """\
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;
max-width:72rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .55rem;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
.empty{color:#656d76;font-style:italic}img.chart{max-width:100%;height:auto}
a{color:#0969da}.links a{margin-right:.4rem}"""

_HEAD = (
    """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>
"""
    + _STYLE
    + """
</style>
</head>
"""
)

HTML = (
    _HEAD
    + """\
{% macro links(p) -%}
<span class="links">{% for label, url in paper_links(p) %}<a href="{{ url }}">{{ label }}</a>{% endfor %}</span>
{%- endmacro %}
{% macro paper(p) %}{% if p.hf_url %}<a href="{{ p.hf_url }}">{{ p.title }}</a>{% else %}{{ p.title }}{% endif %}{% endmacro %}
{% macro chart(name, alt) %}
{% if charts.get(name) %}<p><img class="chart" src="{{ charts[name] | datauri }}" alt="{{ alt }}"></p>{% endif %}
{% endmacro %}
{% macro terms_table(terms, empty) %}
{% if terms %}
<table><tr><th>Term</th><th>Papers</th><th>Before, a week</th><th>Score</th><th>Over</th></tr>
{% for t in terms %}
<tr><td>{{ t.term }}</td><td class="n">{{ t.count }}</td><td class="n">{{ t.baseline_per_week }}</td>
<td class="n">{{ t.score | num }}</td><td>{{ t.horizon | horizon }}</td></tr>
{% endfor %}
</table>
{% else %}<p class="empty">{{ empty }}</p>{% endif %}
{% endmacro %}
<body>
<h1>{{ title }}</h1>
{% for note in r.notes %}
<div class="note"><strong>Note:</strong> {{ note }}</div>
{% endfor %}
<h2>Headline numbers</h2>
<table><tr><th>Source</th><th>This week</th><th>Last week</th><th>Baseline mean ({{ baseline_weeks }} weeks)</th></tr>
{% for row in headline %}
<tr><td>{{ row.source }}</td><td class="n">{{ row.now }}</td><td class="n">{{ row.last | count_change(row.now) }}</td>
<td class="n">{{ row.baseline | count_change(row.now) }}</td></tr>
{% endfor %}
</table>
{{ chart("volume", "Papers per week by source") }}
<h2>Rising topics</h2>
{{ chart("topics", "Share of the top rising topics per week") }}
{% for horizon, heading, topics in horizons %}
<h3>{{ heading }}</h3>
<table><tr><th>Topic</th><th>Trend</th><th>Papers</th><th>Share</th><th>Baseline share</th><th>Growth</th>
<th>Score</th><th>Upvotes</th><th>Top papers</th></tr>
{% for t in topics %}
{% set spark = charts.get(spark_name(t)) %}
<tr><td>{{ t.label }}</td><td>{% if spark %}<img src="{{ spark | datauri }}" alt="share per week" width="160" height="40">{% endif %}</td>
<td class="n">{{ t.papers }}</td><td class="n">{{ t.share | pct }}</td><td class="n">{{ t.baseline_share | pct }}</td>
<td class="n">{{ t.growth | growth }}</td><td class="n">{{ t.score | num }}</td><td class="n">{{ t.upvotes }}</td>
<td>{% for p in t.top_papers %}{{ paper(p) }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}
</table>
{% else %}
<p class="empty">No rising topics this week.</p>
{% endfor %}
<h2>Rising terms</h2>
{{ terms_table(r.rising_terms, "No rising terms this week.") }}
<h2>New terms</h2>
{{ terms_table(r.new_terms, "No new terms this week.") }}
<h2>Top papers of the week</h2>
{% if r.top_papers %}
<table><tr><th>#</th><th>Paper</th><th>Upvotes</th><th>Links</th></tr>
{% for p in r.top_papers %}
<tr><td class="n">{{ loop.index }}</td><td>{{ p.title }}</td><td class="n">{{ p.upvotes | count }}</td><td>{{ links(p) }}</td></tr>
{% endfor %}
</table>
{% else %}<p class="empty">No papers this week.</p>{% endif %}
<h2>Trending papers (upvote gain)</h2>
{% if r.trending_papers %}
<table><tr><th>Paper</th><th>Gain</th><th>Upvotes</th><th>Links</th></tr>
{% for p in r.trending_papers %}
<tr><td>{{ p.title }}</td><td class="n">{{ p.gain | signed }}</td><td class="n">{{ p.upvotes | count }}</td><td>{{ links(p) }}</td></tr>
{% endfor %}
</table>
{% else %}<p class="empty">No upvote gains recorded this week.</p>{% endif %}
<h2>Seen on more than one source</h2>
{% if r.multi_source_papers %}
<table><tr><th>Paper</th><th>Sources</th><th>Links</th></tr>
{% for p in r.multi_source_papers %}
<tr><td>{{ p.title }}</td><td>{{ p.sources | join(", ") }}</td><td>{{ links(p) }}</td></tr>
{% endfor %}
</table>
{% else %}<p class="empty">No paper was seen on more than one source this week.</p>{% endif %}
{% if categories %}
<h2>arXiv category mix</h2>
<table><tr><th>Category</th><th>Papers</th><th>Share</th></tr>
{% for category, papers, share in categories %}
<tr><td>{{ category }}</td><td class="n">{{ papers }}</td><td class="n">{{ share | pct }}</td></tr>
{% endfor %}
</table>
{% endif %}
</body>
</html>
"""
)

INDEX = (
    _HEAD
    + """\
<body>
<h1>{{ title }}</h1>
{% if weeks %}
<ul>
{% for week, summary in weeks %}
<li><a href="{{ report_href(week) }}">{{ week }}</a>{% if summary and summary != week %}: {{ summary }}{% endif %}</li>
{% endfor %}
</ul>
{% else %}<p class="empty">No weekly reports yet.</p>{% endif %}
</body>
</html>
"""
)
