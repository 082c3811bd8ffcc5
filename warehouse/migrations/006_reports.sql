-- Weekly reports and the trends behind them, queryable with SQL.
-- Regenerating a week replaces all of its rows in one transaction.
CREATE TABLE reports (
    week          VARCHAR   PRIMARY KEY,     -- ISO week, '2025-W22'
    week_start    DATE      NOT NULL,
    data_as_of    TIMESTAMP,                 -- newest fetch the report saw (not the wall clock: re-runs are identical)
    papers        INTEGER   NOT NULL,
    summary       VARCHAR   NOT NULL,        -- one line for listings
    markdown_path VARCHAR,
    html_path     VARCHAR
);
CREATE TABLE report_topics (
    week      VARCHAR NOT NULL,
    topic_id  INTEGER NOT NULL,
    label     VARCHAR NOT NULL,
    terms     VARCHAR[] NOT NULL,
    PRIMARY KEY (week, topic_id)
);
CREATE TABLE paper_topics (
    week      VARCHAR NOT NULL,              -- the report whose topic model assigned it
    arxiv_id  VARCHAR NOT NULL,
    topic_id  INTEGER NOT NULL,              -- -1: other
    PRIMARY KEY (week, arxiv_id)
);
CREATE TABLE topic_trends (
    week           VARCHAR NOT NULL,
    topic_id       INTEGER NOT NULL,
    horizon        VARCHAR NOT NULL,         -- 'week' | 'momentum'
    papers         INTEGER NOT NULL,
    share          DOUBLE  NOT NULL,
    baseline_share DOUBLE  NOT NULL,
    growth         DOUBLE  NOT NULL,
    score          DOUBLE  NOT NULL,
    upvotes        INTEGER NOT NULL,
    PRIMARY KEY (week, topic_id, horizon)
);
CREATE TABLE topic_weeks (
    week         VARCHAR NOT NULL,           -- the report
    topic_id     INTEGER NOT NULL,
    series_week  VARCHAR NOT NULL,           -- a week of the report window
    share        DOUBLE  NOT NULL,
    PRIMARY KEY (week, topic_id, series_week)
);
CREATE TABLE rising_terms (
    week           VARCHAR NOT NULL,
    horizon        VARCHAR NOT NULL,
    term           VARCHAR NOT NULL,
    count          INTEGER NOT NULL,
    baseline_count INTEGER NOT NULL,
    score          DOUBLE  NOT NULL,
    new            BOOLEAN NOT NULL,         -- absent from the baseline
    PRIMARY KEY (week, horizon, term)
);
