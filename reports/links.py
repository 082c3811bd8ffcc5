"""Every link an email or report holds, built here from validated ids: never a scraped URL as it came.

The one home of links for both the weekly report (reports/) and the emails
(mail/): it lives in reports/ because mail/ may import reports/, never the
other way round.

Links are https only, on an allow-list of hosts (HF, arXiv, GitHub, and the
operator's own report and unsubscribe hosts). Whatever fails validation is
dropped (None), not escaped into an href.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from common.hosts import is_loopback
from common.ids import InvalidArxivId, canonical_arxiv_id
from common.sources import HF
from reports.locations import report_href
from reports.weeks import WEEK_LABEL
from warehouse.subscribers import TOKEN

PAPER_HOSTS = frozenset({"huggingface.co", "arxiv.org", "github.com"})
# GitHub's own limits: owner 1-39 letters, digits and single hyphens; repository names of [\w.-].
_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def arxiv_link(arxiv_id: str) -> str | None:
    """https://arxiv.org/abs/<id> for a valid arXiv id, else None."""
    paper = _paper_id(arxiv_id)
    return f"https://arxiv.org/abs/{paper}" if paper else None


def hf_link(arxiv_id: str) -> str | None:
    """https://huggingface.co/papers/<id> for a valid arXiv id, else None."""
    paper = _paper_id(arxiv_id)
    return f"https://huggingface.co/papers/{paper}" if paper else None


def paper_links(arxiv_id: str, github_repo: str | None) -> list[tuple[str, str]]:
    """A paper's links as (label, URL): HF, arXiv and GitHub, each only when its id or repo validates."""
    found = [("HF", hf_link(arxiv_id)), ("arXiv", arxiv_link(arxiv_id)), ("GitHub", github_link(github_repo))]
    return [(label, url) for label, url in found if url]


def paper_page(arxiv_id: str, sources: tuple[str, ...] | list[str]) -> str | None:
    """Where a paper's title links to: its Hugging Face page when HF listed it, else arXiv (an arXiv-only
    paper has no HF page to show); None for an id that is not one."""
    return hf_link(arxiv_id) if HF in sources or not sources else arxiv_link(arxiv_id)


def github_link(repo: str | None) -> str | None:
    """https://github.com/<owner>/<name> from a stored repo ('owner/name' or a github.com URL), else None."""
    repo = (repo or "").strip()
    if re.match(r"^https?://", repo, re.I):
        try:  # a scraped URL may not even parse ("https://github.com:abc/o/r", "https://[github.com/o/r")
            parts = urlsplit(repo)
            if (parts.hostname or "").lower() not in ("github.com", "www.github.com") or parts.port or parts.username:
                return None
        except ValueError:
            return None
        repo = "/".join(parts.path.strip("/").split("/")[:2])  # a link into the repo names the repo
    owner, _, name = repo.partition("/")
    name = name.removesuffix(".git")
    if not (_OWNER.match(owner) and _REPO.match(name)) or name in (".", ".."):
        return None
    return f"https://github.com/{owner}/{name}"


def site_base(url: str) -> str | None:
    """An operator's base URL (report_url, unsubscribe_url) if it is https with a host, without a trailing slash."""
    url = url.strip()
    if re.search(r"[\s\x00-\x1f\x7f<>\"']", url):  # it goes into headers and hrefs as it is
        return None
    try:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment or parts.username:
            return None
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        return None
    return url.rstrip("/")


def web_base(url: str) -> str | None:
    """The web application's base URL ([web] base_url) if it is https, or plain http on a loopback host (tests,
    local use), with a host and no query; without a trailing slash."""
    url = url.strip()
    if not url.startswith("http://"):
        return site_base(url)
    checked = site_base("https://" + url[len("http://") :])  # every rule of an https base, then this machine only
    if checked is None or not is_loopback(urlsplit(checked).hostname):
        return None
    return "http://" + checked[len("https://") :]


def web_link(base_url: str, path: str) -> str | None:
    """`path` (built by us from validated parts) under the web application at `base_url`, or None."""
    base = web_base(base_url) if base_url else None
    return f"{base}{path}" if base else None


def manage_link(base_url: str, token: str) -> str | None:
    """The manage page an email's `token` opens, or None."""
    return web_link(base_url, f"/manage/{token}") if TOKEN.match(token) else None


def web_unsubscribe_link(base_url: str, token: str) -> str | None:
    """The web application's unsubscribe URL for `token` (GET: a confirm button; POST: one-click), or None."""
    return web_link(base_url, f"/unsubscribe/{token}") if TOKEN.match(token) else None


def report_link(base_url: str, week: str) -> str | None:
    """The published report of `week` under `base_url` (<data_dir>/reports/ published there)."""
    base = site_base(base_url) if base_url else None
    return f"{base}/{report_href(week)}" if base and WEEK_LABEL.match(week) else None


def unsubscribe_link(base_url: str, token: str) -> str | None:
    """The one-click unsubscribe URL for `token` under the operator's endpoint, or None."""
    base = site_base(base_url) if base_url else None
    return f"{base}?token={quote(token)}" if base and TOKEN.match(token) else None


def _paper_id(arxiv_id: str) -> str | None:
    try:
        return canonical_arxiv_id(arxiv_id)
    except InvalidArxivId:
        return None
