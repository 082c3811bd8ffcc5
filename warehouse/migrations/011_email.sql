-- Email summaries (issue 11): HF's one-sentence paper summaries, the subscribers, and the
-- log that makes each (period, recipient) message go out once.
ALTER TABLE papers ADD COLUMN ai_summary VARCHAR;

CREATE TABLE subscribers (
    address       VARCHAR   PRIMARY KEY,    -- one mailbox, validated (warehouse.subscribers.valid_address)
    name          VARCHAR,
    cadence       VARCHAR   NOT NULL,       -- 'weekly' | 'daily'
    keywords      VARCHAR[] NOT NULL,       -- matched against paper titles, abstracts and terms
    topics        VARCHAR[] NOT NULL,       -- matched against topic labels and terms
    seeds         VARCHAR[] NOT NULL,       -- arXiv ids: the week's most similar papers are shown
    max_papers    INTEGER   NOT NULL,
    only_matches  BOOLEAN   NOT NULL,       -- send nothing in a period with no match
    created_at    TIMESTAMP NOT NULL,
    token         VARCHAR   NOT NULL UNIQUE, -- the unsubscribe token (random, URL-safe)
    active        BOOLEAN   NOT NULL
);

CREATE TABLE email_log (
    period        VARCHAR   NOT NULL,       -- '2026-W17' (weekly) or '2026-04-24' (daily)
    address       VARCHAR   NOT NULL,
    status        VARCHAR   NOT NULL,       -- 'pending' | 'sent' | 'failed' | 'skipped'
    attempts      INTEGER   NOT NULL,
    last_reply    VARCHAR,                  -- the SMTP server's last answer, e.g. '250 2.0.0 Ok'
    message_id    VARCHAR   NOT NULL,       -- stable per (period, address): a resend reuses it
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (period, address)
);
