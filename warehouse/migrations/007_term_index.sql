-- The key-phrase index behind weekly trends: each paper's phrases (computed once,
-- in Python, by reports.terms.phrases) and document frequencies per ISO week.
-- Derived data: `papertrend index-terms --rebuild` recomputes it from `papers`.
CREATE TABLE terms (
    term_id  INTEGER NOT NULL,             -- assigned in order of first indexing
    term     VARCHAR NOT NULL              -- a 1-3 word phrase, lower case
);
CREATE TABLE repeated_terms (
    term_id  INTEGER NOT NULL,             -- a phrase found in at least two papers: the only ones a report can show
    term     VARCHAR NOT NULL              -- (a small lookup table; `terms` holds every phrase ever seen)
);
CREATE TABLE paper_terms (
    arxiv_id  VARCHAR   NOT NULL,
    week      DATE      NOT NULL,          -- Monday of the paper's first digest date when indexed
    text_hash UBIGINT   NOT NULL,          -- hash(title, abstract) when indexed: a change re-indexes
    version   SMALLINT  NOT NULL,          -- phrase rules' version: a new version re-indexes
    term_ids  INTEGER[] NOT NULL
);
CREATE TABLE term_weeks (
    week     DATE    NOT NULL,             -- Monday of an ISO week
    term_id  INTEGER NOT NULL,
    docs     INTEGER NOT NULL              -- papers first listed that week whose text holds the phrase
);
