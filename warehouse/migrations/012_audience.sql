-- Personal data leaves the warehouse (issue 16): subscribers and the email log moved to the audience
-- store (warehouse/audience.py) just before this runs (warehouse/audience_move.py), and the file is then
-- rewritten so no freed block keeps an address. Analysts get counts only.
DROP TABLE IF EXISTS email_log;
DROP TABLE IF EXISTS subscribers;

CREATE TABLE audience_counts (
    kind          VARCHAR   NOT NULL,       -- 'subscribers' | 'messages'
    cadence       VARCHAR,                  -- 'weekly' | 'daily'
    period        VARCHAR,                  -- messages: '2026-W17' or '2026-04-24'; subscribers: NULL
    status        VARCHAR   NOT NULL,       -- subscribers: 'active' | 'unsubscribed'; messages: the email log's
    count         BIGINT    NOT NULL,
    refreshed_at  TIMESTAMP NOT NULL
);
