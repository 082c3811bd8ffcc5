"""The Jinja2 templates of the weekly report (Markdown, HTML) and of the archive index, as strings.

Kept in a module rather than .j2 files so an installed wheel needs no package-data. Markdown templates
run without autoescape and escape every text with the `md` filter; HTML templates run with autoescape.
"""

MARKDOWN = """\
{% macro links(p) -%}
{% for label, url in paper_links(p) %}[{{ label }}]({{ url | mdurl }}){% if not loop.last %} · {% endif %}{% endfor %}
{%- endmacro %}
{% macro paper(p) %}{% set url = paper_url(p) %}{% if url %}[{{ p.title | md }}]({{ url | mdurl }}){% else %}{{ p.title | md }}{% endif %}{% endmacro %}
# Trending papers, {{ r.week }} (week of {{ r.week_start.isoformat() }})
{% for note in r.notes %}

> **Note:** {{ note | md }}
{% endfor %}
{% if r.summary %}

{% for line in r.summary %}
- {{ line | md }}
{% endfor %}
{% endif %}
{% if r.stories %}

## What rose
{% if charts.get("stories") %}

![Papers a week of the top stories]({{ charts["stories"] | mdurl }})
{% endif %}
{% for s in r.stories %}

### {{ loop.index }}. {{ s.label | md }}

{{ when(s) | md }}{% if s.terms | length > 1 %} · also: {{ s.terms[1:] | join(", ") | md }}{% endif %}


{% set spark = charts.get(spark_name(s)) %}
{% if spark %}![papers a week over 26 weeks]({{ spark | mdurl }}) {% endif %}\
**{{ s.per_week | per_week }}** {{ 'paper' if s.per_week == 1 else 'papers' }} a week, against {{ s.baseline_per_week | per_week }} before: **{{ s.growth | rise }}**
{% for p in s.examples %}
{% if loop.first %}

{% endif %}
- {{ paper(p) }}{% if p.upvotes is not none %} ({{ p.upvotes }} upvote{{ '' if p.upvotes == 1 else 's' }}){% endif %}

{% endfor %}
{% endfor %}

*Papers a week: papers mentioning the story's first term, averaged over the weeks it rose in (this week: 1; building for 4 weeks: 4; this quarter: 13) and over the weeks before them (8, 12 or 52). Growth: its share of all papers now over its share before, so a busier week alone is no rise. A story is shown when, with 95% confidence, that share is at least 1.5 times its usual one.*
{% endif %}
{% if r.top_papers %}

## Top papers of the week

| # | Paper | Upvotes | Links |
|--:|---|--:|---|
{% for p in r.top_papers %}
| {{ loop.index }} | {{ p.title | md }} | {{ p.upvotes | count }} | {{ links(p) }} |
{% endfor %}

*Upvotes on Hugging Face when last seen; papers first listed this week.*
{% endif %}
{% if r.trending_papers %}

## Fastest-rising papers

| Paper | Upvotes gained | Upvotes | Links |
|---|--:|--:|---|
{% for p in r.trending_papers %}
| {{ p.title | md }} | {{ p.gain | signed }} | {{ p.upvotes | count }} | {{ links(p) }} |
{% endfor %}

*Upvotes gained between two sightings of the same paper this week.*
{% endif %}

## Volume

| Source | Papers this week | Last week | Usual week ({{ baseline_weeks }} weeks before) |
|---|--:|--:|--:|
{% for row in headline %}
| {{ row.source | md }} | {{ row.now }} | {{ row.last | count_change(row.now) }} | {{ row.baseline | count_change(row.now) }} |
{% endfor %}

*Papers first listed in the week; in brackets, this week's change from that figure.*
{% if charts.get("volume") %}

![Papers per week by source]({{ charts["volume"] | mdurl }})
{% endif %}
{% if r.multi_source_papers %}

## Seen on more than one source

| Paper | Sources | Links |
|---|---|---|
{% for p in r.multi_source_papers %}
| {{ p.title | md }} | {{ p.sources | join(", ") | md }} | {{ links(p) }} |
{% endfor %}
{% endif %}
{% if categories %}

## arXiv category mix

| Category | Papers | Share |
|---|--:|--:|
{% for category, papers, share in categories %}
| {{ category | md }} | {{ papers }} | {{ share | pct }} |
{% endfor %}

*Primary arXiv category of the week's papers; share of those with one.*
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
a{color:#0969da}.links a{margin-right:.4rem}
.summary{font-size:1.05rem;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.6rem .6rem .6rem 2rem}
.story h3{margin-bottom:.2rem}.when{color:#57606a;margin:.1rem 0 .3rem}.muted{color:#57606a}
.caption{color:#57606a;font-size:.85rem;max-width:48rem}img{vertical-align:middle}"""

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
{% macro paper(p) %}{% set url = paper_url(p) %}{% if url %}<a href="{{ url }}">{{ p.title }}</a>{% else %}{{ p.title }}{% endif %}{% endmacro %}
{% macro chart(name, alt) %}
{% if charts.get(name) %}<p><img class="chart" src="{{ charts[name] | datauri }}" alt="{{ alt }}"></p>{% endif %}
{% endmacro %}
<body>
<h1>{{ title }}</h1>
{% for note in r.notes %}
<div class="note"><strong>Note:</strong> {{ note }}</div>
{% endfor %}
{% if r.summary %}
<ul class="summary">
{% for line in r.summary %}
<li>{{ line }}</li>
{% endfor %}
</ul>
{% endif %}
{% if r.stories %}
<h2>What rose</h2>
{{ chart("stories", "Papers a week of the top stories") }}
{% for s in r.stories %}
<section class="story">
<h3>{{ loop.index }}. {{ s.label }}</h3>
<p class="when">{{ when(s) }}{% if s.terms | length > 1 %} · also: {{ s.terms[1:] | join(", ") }}{% endif %}</p>
<p>{% set spark = charts.get(spark_name(s)) %}{% if spark %}<img src="{{ spark | datauri }}" alt="papers a week over 26 weeks" width="160" height="40"> {% endif %}
<strong>{{ s.per_week | per_week }}</strong> {{ 'paper' if s.per_week == 1 else 'papers' }} a week, against {{ s.baseline_per_week | per_week }} before: <strong>{{ s.growth | rise }}</strong></p>
{% if s.examples %}
<ul>
{% for p in s.examples %}
<li>{{ paper(p) }}{% if p.upvotes is not none %} <span class="muted">({{ p.upvotes }} upvote{{ '' if p.upvotes == 1 else 's' }})</span>{% endif %}</li>
{% endfor %}
</ul>
{% endif %}
</section>
{% endfor %}
<p class="caption">Papers a week: papers mentioning the story's first term, averaged over the weeks it rose in
(this week: 1; building for 4 weeks: 4; this quarter: 13) and over the weeks before them (8, 12 or 52). Growth:
its share of all papers now over its share before, so a busier week alone is no rise. A story is shown when, with
95% confidence, that share is at least 1.5 times its usual one.</p>
{% endif %}
{% if r.top_papers %}
<h2>Top papers of the week</h2>
<table><tr><th>#</th><th>Paper</th><th>Upvotes</th><th>Links</th></tr>
{% for p in r.top_papers %}
<tr><td class="n">{{ loop.index }}</td><td>{{ p.title }}</td><td class="n">{{ p.upvotes | count }}</td><td>{{ links(p) }}</td></tr>
{% endfor %}
</table>
<p class="caption">Upvotes on Hugging Face when last seen; papers first listed this week.</p>
{% endif %}
{% if r.trending_papers %}
<h2>Fastest-rising papers</h2>
<table><tr><th>Paper</th><th>Upvotes gained</th><th>Upvotes</th><th>Links</th></tr>
{% for p in r.trending_papers %}
<tr><td>{{ p.title }}</td><td class="n">{{ p.gain | signed }}</td><td class="n">{{ p.upvotes | count }}</td><td>{{ links(p) }}</td></tr>
{% endfor %}
</table>
<p class="caption">Upvotes gained between two sightings of the same paper this week.</p>
{% endif %}
<h2>Volume</h2>
<table><tr><th>Source</th><th>Papers this week</th><th>Last week</th><th>Usual week ({{ baseline_weeks }} weeks before)</th></tr>
{% for row in headline %}
<tr><td>{{ row.source }}</td><td class="n">{{ row.now }}</td><td class="n">{{ row.last | count_change(row.now) }}</td>
<td class="n">{{ row.baseline | count_change(row.now) }}</td></tr>
{% endfor %}
</table>
<p class="caption">Papers first listed in the week; in brackets, this week's change from that figure.</p>
{{ chart("volume", "Papers per week by source") }}
{% if r.multi_source_papers %}
<h2>Seen on more than one source</h2>
<table><tr><th>Paper</th><th>Sources</th><th>Links</th></tr>
{% for p in r.multi_source_papers %}
<tr><td>{{ p.title }}</td><td>{{ p.sources | join(", ") }}</td><td>{{ links(p) }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% if categories %}
<h2>arXiv category mix</h2>
<table><tr><th>Category</th><th>Papers</th><th>Share</th></tr>
{% for category, papers, share in categories %}
<tr><td>{{ category }}</td><td class="n">{{ papers }}</td><td class="n">{{ share | pct }}</td></tr>
{% endfor %}
</table>
<p class="caption">Primary arXiv category of the week's papers; share of those with one.</p>
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
