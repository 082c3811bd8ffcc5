from common.names import EmailStatus, RunStatus
from common.text import fold_spaces, shorten


def test_every_kind_of_whitespace_folds_to_one_space():
    assert fold_spaces("  Attention\n\tis\u00a0all  you\u2009need ") == "Attention is all you need"


def test_shorten_cuts_at_a_word_and_marks_the_cut():
    assert shorten("short enough", 20) == "short enough"
    cut = shorten("Scaling laws for sparse mixture-of-experts language models", 30)
    assert len(cut) <= 30 and cut.endswith("…") and cut == "Scaling laws for sparse…"


def test_status_names_read_and_store_as_their_text():
    assert RunStatus.INTERRUPTED == "interrupted" and f"{EmailStatus.PENDING}" == "pending"
