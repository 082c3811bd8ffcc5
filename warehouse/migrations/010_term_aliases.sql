-- Acronyms papers define ("on-policy distillation (OPD)"): a report counts a paper
-- that writes only the long form under the acronym too (reports/terms.merge_variants).
-- Derived, like the rest of the phrase index: cleared and rebuilt with it.
CREATE TABLE term_aliases (
    acronym   VARCHAR NOT NULL,             -- as the papers write it, e.g. 'RLVR'
    long_key  VARCHAR NOT NULL,             -- extractors.phrases.term_key of the long form
    papers    INTEGER NOT NULL,             -- papers indexed that define it so
    PRIMARY KEY (acronym, long_key)
);
