-- Trends II (docs/trends.md): rising terms say how they rose in one unit, and the terms that rose
-- together are stored as stories with ids that stay the same while a story continues.
ALTER TABLE rising_terms ADD COLUMN per_week DOUBLE;           -- papers a week in the target weeks
ALTER TABLE rising_terms ADD COLUMN baseline_per_week DOUBLE;  -- papers a week in the baseline weeks
ALTER TABLE rising_terms ADD COLUMN growth DOUBLE;             -- share now over share before
ALTER TABLE rising_terms ADD COLUMN long_form VARCHAR;         -- an acronym's long form, as shown
ALTER TABLE rising_terms ADD COLUMN story_id VARCHAR;          -- the story that shows it

CREATE TABLE stories (
    week              VARCHAR NOT NULL,
    story_id          VARCHAR NOT NULL,  -- '<first term key>-<week its rise began>', e.g. 'openclaw-2026-w12'
    rank              INTEGER NOT NULL,  -- 1 = the strongest of the week
    label             VARCHAR NOT NULL,
    terms             VARCHAR[] NOT NULL,
    horizon           VARCHAR NOT NULL,  -- week | momentum | quarter
    papers            INTEGER NOT NULL,
    per_week          DOUBLE  NOT NULL,
    baseline_per_week DOUBLE  NOT NULL,
    growth            DOUBLE  NOT NULL,
    score             DOUBLE  NOT NULL,  -- the rate ratio's lower 95% bound
    since             VARCHAR NOT NULL,  -- ISO week its rise began
    new               BOOLEAN NOT NULL,
    examples          VARCHAR[] NOT NULL,  -- arXiv ids, best fit first
    PRIMARY KEY (week, story_id)
);

CREATE TABLE story_weeks (
    week        VARCHAR NOT NULL,
    story_id    VARCHAR NOT NULL,
    series_week VARCHAR NOT NULL,
    papers      INTEGER,                 -- NULL: no data that week
    PRIMARY KEY (week, story_id, series_week)
);
