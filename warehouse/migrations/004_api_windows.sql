-- Which arXiv API query windows (category x submission day) were fetched whole.
-- Bookkeeping for resumable history runs, like `runs`: not rebuilt by reextract.
CREATE TABLE api_windows (
    source       VARCHAR   NOT NULL,     -- 'arxiv-api'
    listing      VARCHAR   NOT NULL,     -- the category queried
    window_date  DATE      NOT NULL,     -- the submission day queried
    total        INTEGER   NOT NULL,     -- opensearch:totalResults of the first page
    loaded       INTEGER   NOT NULL,     -- entries received over all pages
    complete     BOOLEAN   NOT NULL,     -- every page came in
    fetched_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (source, listing, window_date)
);
