-- One row per paper. Each attribute comes from the newest observation that has a value (an older
-- observation only fills gaps). The first/last digest dates are computed here and nowhere else,
-- from the paper's sightings once this load has written them: digests (HF days, arXiv listings)
-- date a paper; arxiv-api results ($arxiv_api, bound by warehouse/load.py) only date papers that no
-- digest has listed yet.
INSERT INTO papers (arxiv_id, version, title, abstract, authors, published_at, updated_at, github_repo,
                    github_stars, project_page, ai_keywords, ai_summary, organization, primary_category, categories,
                    arxiv_comment, first_digest_date, last_digest_date, observed_at)
SELECT i.arxiv_id, i.version, i.title, i.abstract, i.authors, i.published_at, i.updated_at, i.github_repo,
       i.github_stars, i.project_page, i.ai_keywords, i.ai_summary, i.organization, i.primary_category, i.categories,
       i.arxiv_comment, d.first_digest_date, d.last_digest_date, i.observed_at
FROM incoming_papers i
LEFT JOIN (SELECT arxiv_id,
                  coalesce(min(digest_date) FILTER (WHERE source <> $arxiv_api), min(digest_date))
                      AS first_digest_date,
                  coalesce(max(digest_date) FILTER (WHERE source <> $arxiv_api), max(digest_date))
                      AS last_digest_date
           FROM sightings
           WHERE arxiv_id IN (SELECT arxiv_id FROM incoming_papers)
           GROUP BY arxiv_id) d USING (arxiv_id)
ON CONFLICT DO UPDATE SET
    version = CASE WHEN excluded.observed_at >= papers.observed_at THEN coalesce(excluded.version, papers.version)
                   ELSE coalesce(papers.version, excluded.version) END,
    title = CASE WHEN excluded.observed_at >= papers.observed_at THEN coalesce(excluded.title, papers.title)
                 ELSE coalesce(papers.title, excluded.title) END,
    abstract = CASE WHEN excluded.observed_at >= papers.observed_at THEN coalesce(excluded.abstract, papers.abstract)
                    ELSE coalesce(papers.abstract, excluded.abstract) END,
    authors = CASE WHEN excluded.observed_at >= papers.observed_at THEN coalesce(excluded.authors, papers.authors)
                   ELSE coalesce(papers.authors, excluded.authors) END,
    published_at = CASE WHEN excluded.observed_at >= papers.observed_at
                        THEN coalesce(excluded.published_at, papers.published_at)
                        ELSE coalesce(papers.published_at, excluded.published_at) END,
    updated_at = CASE WHEN excluded.observed_at >= papers.observed_at
                      THEN coalesce(excluded.updated_at, papers.updated_at)
                      ELSE coalesce(papers.updated_at, excluded.updated_at) END,
    github_repo = CASE WHEN excluded.observed_at >= papers.observed_at
                       THEN coalesce(excluded.github_repo, papers.github_repo)
                       ELSE coalesce(papers.github_repo, excluded.github_repo) END,
    github_stars = CASE WHEN excluded.observed_at >= papers.observed_at
                        THEN coalesce(excluded.github_stars, papers.github_stars)
                        ELSE coalesce(papers.github_stars, excluded.github_stars) END,
    project_page = CASE WHEN excluded.observed_at >= papers.observed_at
                        THEN coalesce(excluded.project_page, papers.project_page)
                        ELSE coalesce(papers.project_page, excluded.project_page) END,
    ai_keywords = CASE WHEN excluded.observed_at >= papers.observed_at
                       THEN coalesce(excluded.ai_keywords, papers.ai_keywords)
                       ELSE coalesce(papers.ai_keywords, excluded.ai_keywords) END,
    ai_summary = CASE WHEN excluded.observed_at >= papers.observed_at
                      THEN coalesce(excluded.ai_summary, papers.ai_summary)
                      ELSE coalesce(papers.ai_summary, excluded.ai_summary) END,
    organization = CASE WHEN excluded.observed_at >= papers.observed_at
                        THEN coalesce(excluded.organization, papers.organization)
                        ELSE coalesce(papers.organization, excluded.organization) END,
    primary_category = CASE WHEN excluded.observed_at >= papers.observed_at
                            THEN coalesce(excluded.primary_category, papers.primary_category)
                            ELSE coalesce(papers.primary_category, excluded.primary_category) END,
    categories = CASE WHEN excluded.observed_at >= papers.observed_at
                      THEN coalesce(excluded.categories, papers.categories)
                      ELSE coalesce(papers.categories, excluded.categories) END,
    arxiv_comment = CASE WHEN excluded.observed_at >= papers.observed_at
                         THEN coalesce(excluded.arxiv_comment, papers.arxiv_comment)
                         ELSE coalesce(papers.arxiv_comment, excluded.arxiv_comment) END,
    first_digest_date = excluded.first_digest_date,
    last_digest_date = excluded.last_digest_date,
    observed_at = greatest(papers.observed_at, excluded.observed_at)
