import pytest

from common.ids import InvalidArxivId, canonical_arxiv_id, split_arxiv_id


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2406.01234", ("2406.01234", None)),
        ("2406.01234v3", ("2406.01234", 3)),
        ("arXiv:2406.01234v2", ("2406.01234", 2)),
        ("https://arxiv.org/abs/2406.01234v1", ("2406.01234", 1)),
        ("http://export.arxiv.org/abs/1001.1234", ("1001.1234", None)),
        ("https://arxiv.org/pdf/2406.01234v2.pdf", ("2406.01234", 2)),
        ("astro-ph/0601001", ("astro-ph/0601001", None)),
        ("http://arxiv.org/abs/astro-ph/0601001v2", ("astro-ph/0601001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        (" 0704.0001 ", ("0704.0001", None)),
    ],
)
def test_every_known_spelling_maps_to_one_canonical_id(raw, expected):
    assert split_arxiv_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "2406.1", "2406.012345", "papers/2406.01234", "12345678"])
def test_text_that_is_not_an_id_is_refused(raw):
    with pytest.raises(InvalidArxivId, match="not an arXiv id"):
        canonical_arxiv_id(raw)
