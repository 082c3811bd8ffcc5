"""Versioned snapshots: a publication writes only what changed, and never a file a reader holds."""

import errno
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pytest

from common import symlinks
from warehouse import snapshots
from warehouse.db import connect_for_reading
from warehouse.errors import WarehouseCorrupt
from warehouse.integrity import damage
from warehouse.paths import published_as
from warehouse.snapshots import holding_published, publish


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A real DuckDB file of a few MB (many blocks), checkpointed: built once, copied for each test."""
    path = tmp_path_factory.mktemp("snapshots") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE big AS SELECT range AS i, md5(range::VARCHAR) AS h FROM range(300000)")
        con.execute("CREATE TABLE small (n INTEGER)")
        con.execute("CHECKPOINT")
    return path


@pytest.fixture
def source(built, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built, path)
    return path


def _change(path, n):
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO small VALUES (?)", [n])
        con.execute("CHECKPOINT")


def _published(tmp_path):
    return tmp_path / "warehouse.snapshot.duckdb"


def _versions(tmp_path):
    return sorted(p.name for p in (tmp_path / "snapshots").iterdir())


def test_the_first_publications_copy_then_a_small_change_writes_only_its_blocks(tmp_path, source):
    published = _published(tmp_path)
    for n in range(1 + snapshots.SPARES):  # the rotation fills: the current version and its spare bases
        _change(source, n)
        filling = publish(source, published)
        assert filling.full_copy and filling.bytes_written == source.stat().st_size
        assert _digest(published) == _digest(source)
    _change(source, 7)
    next_one = publish(source, published)  # a free version brought up to date in place
    assert not next_one.full_copy
    assert 0 < next_one.bytes_written <= source.stat().st_size // 4
    assert _digest(published) == _digest(source) and damage(published) is None
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT list(n ORDER BY n) FROM small").fetchall() == [([0, 1, 2, 7],)]
    assert published.is_symlink() and not os.path.isabs(os.readlink(published))


def test_publishing_unchanged_bytes_writes_nothing(tmp_path, source):
    published = _published(tmp_path)
    for _ in range(1 + snapshots.SPARES):
        publish(source, published)
    for version in (tmp_path / "snapshots").iterdir():  # dated long ago
        os.utime(version, (0, 0))
    again = publish(source, published)
    assert again.bytes_written == 0 and not again.full_copy and _digest(published) == _digest(source)
    assert published.stat().st_mtime > 1e9  # published now: `status` says how old the snapshot is from this


def test_a_held_version_is_neither_changed_nor_removed_and_goes_once_let_go(tmp_path, source):
    published = _published(tmp_path)
    publish(source, published)
    with holding_published(published) as held:
        before = _digest(held)
        for n in range(4):
            _change(source, n)
            publication = publish(source, published)
            assert publication.path != held
        assert held.exists() and _digest(held) == before
    assert len(_versions(tmp_path)) <= 1 + snapshots.SPARES  # the current one and the free bases of the next ones
    # Let go, it is back in rotation: with every other version held, the next publication rewrites it.
    others = [tmp_path / "snapshots" / name for name in _versions(tmp_path) if name != held.name]
    holders = [open(path, "rb") for path in others]  # noqa: SIM115 - closed below
    try:
        for handle in holders:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        _change(source, 8)
        reused = publish(source, published)
    finally:
        for handle in holders:
            handle.close()
    assert not reused.full_copy and not held.exists() and _digest(published) == _digest(source)


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)  # an analyst's own DuckDB: no flock, DuckDB's own lock only
print("open", flush=True)
sys.stdin.read()
"""


def test_a_version_another_processs_own_duckdb_has_open_is_left_alone(tmp_path, source):
    published = _published(tmp_path)
    publish(source, published)
    version = snapshots.current_version(published)
    before = _digest(version)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(version)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        for n in range(3):
            _change(source, n)
            assert publish(source, published).path != version
        assert _digest(version) == before
    finally:
        holder.communicate("", timeout=30)


def test_a_publication_killed_half_way_leaves_the_current_version_and_its_leftover_is_cleared(
    tmp_path, source, monkeypatch
):
    published = _published(tmp_path)
    for n in range(2):
        _change(source, n)
        publish(source, published)
    current = snapshots.current_version(published)
    before = _digest(current)
    _change(source, 5)

    real_write = snapshots._bring_up_to

    def dies(fd, src, *, full):
        os.write(fd, b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshots, "_bring_up_to", dies)
    with pytest.raises(OSError):
        publish(source, published)
    assert snapshots.current_version(published) == current and _digest(published) == before
    assert not [p for p in (tmp_path / "snapshots").iterdir() if p.name.endswith(".partial")]
    monkeypatch.setattr(snapshots, "_bring_up_to", real_write)
    publish(source, published)
    assert _digest(published) == _digest(source)


def test_a_leftover_partial_of_a_killed_process_is_removed_by_the_next_publication(tmp_path, source):
    published = _published(tmp_path)
    publish(source, published)
    leftover = tmp_path / "snapshots" / ".warehouse.1.partial"
    leftover.write_bytes(b"half a file")
    publish(source, published)
    assert not leftover.exists()


def test_the_layout_before_versions_is_taken_over_and_its_reader_keeps_its_bytes(tmp_path, source):
    published = _published(tmp_path)
    published.write_bytes(source.read_bytes())  # a plain file, as published before versions
    before = _digest(published)
    with holding_published(published) as held, open(held, "rb") as reader:
        _change(source, 1)
        publish(source, published)
        assert hashlib.sha256(reader.read()).hexdigest() == before
    assert published.is_symlink() and _digest(published) == _digest(source)


def test_nothing_published_is_said_plainly(tmp_path):
    with pytest.raises(snapshots.WarehouseMissing), holding_published(_published(tmp_path)):
        pass


def test_a_version_file_is_named_by_its_snapshot(tmp_path):
    version = tmp_path / "snapshots" / "warehouse.123.duckdb"
    assert published_as(version) == tmp_path / "warehouse.snapshot.duckdb"
    assert published_as(tmp_path / "warehouse.duckdb") is None


READERS = textwrap.dedent(
    """
    import sys, pathlib, duckdb
    from warehouse.snapshots import holding_published
    published, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    seen, errors = [], 0
    while not stop.exists():
        try:
            with holding_published(published) as version:
                with duckdb.connect(str(version), read_only=True) as con:
                    n, low, high = con.execute("SELECT count(*), min(n), max(n) FROM small").fetchall()[0]
                    whole = con.execute("SELECT count(*), sum(i) FROM big").fetchall()[0]
            assert n == high - low + 1 and whole == (300000, 44999850000), (n, low, high, whole)
            seen.append(high)
        except Exception as exc:
            errors += 1
            print(type(exc).__name__, exc, file=sys.stderr)
    print(len(seen), errors, int(seen == sorted(seen)))
    """
)


@pytest.mark.slow
def test_readers_during_forty_publications_always_open_a_complete_unchanging_snapshot(tmp_path, source):
    """Two processes open and read the snapshot in a loop while it is published 40 times: every open is a
    complete file (DuckDB checks each block), consistent (a run of numbers with no gap) and never older than the
    one before; a third holds one version throughout and reads the same bytes at the end."""
    published = _published(tmp_path)
    _change(source, 0)
    publish(source, published)
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READERS, str(published), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    with holding_published(published) as held, duckdb.connect(str(held), read_only=True) as long_lived:
        first = long_lived.execute("SELECT list(n ORDER BY n) FROM small").fetchall()
        held_digest = _digest(held)
        full_copies = 0
        for n in range(1, 41):
            _change(source, n)
            full_copies += publish(source, published).full_copy
        assert long_lived.execute("SELECT list(n ORDER BY n) FROM small").fetchall() == first == [([0],)]
        assert _digest(held) == held_digest
    stop.touch()
    outcomes = [reader.communicate(timeout=60) for reader in readers]
    results = [tuple(int(x) for x in out.split()) for out, _ in outcomes]
    assert [(errors, ordered) for _, errors, ordered in results] == [(0, 1), (0, 1)], [err for _, err in outcomes]
    assert all(reads > 0 for reads, _, _ in results)
    assert full_copies <= 5  # a version is rewritten in place whenever no reader holds one


def test_a_snapshot_whose_version_file_was_deleted_says_how_to_publish_again(tmp_path, source):
    published = _published(tmp_path)
    publish(source, published)
    snapshots.current_version(published).unlink()
    with (
        pytest.raises(snapshots.WarehouseMissing, match="is missing; publish it again") as caught,
        holding_published(published),
    ):
        pass
    assert "index-terms" in str(caught.value)
    with (  # what `papertrend sql` says
        pytest.raises(snapshots.WarehouseMissing, match="is missing; publish it again"),
        connect_for_reading(source),
    ):
        pass
    publish(source, published)  # and publishing again mends it
    with holding_published(published) as version:
        assert _digest(version) == _digest(source)


@pytest.mark.slow
def test_readers_arriving_while_the_symlink_is_swapped_slowly_all_open(tmp_path, source, monkeypatch):
    """A slow disk makes the folder fsync take a while: readers keep opening the current version meanwhile."""
    import threading
    import time

    published = _published(tmp_path)
    for _ in range(3):
        publish(source, published)
    real_fsync = symlinks.fsync_folder

    def slow(folder):
        time.sleep(0.8)
        real_fsync(folder)

    monkeypatch.setattr(symlinks, "fsync_folder", slow)  # the symlink swap's
    monkeypatch.setattr(snapshots, "fsync_folder", slow)  # the versions folder's
    errors, opened, done = [], [], threading.Event()

    def read():
        while not done.is_set():
            try:
                with holding_published(published) as version:
                    opened.append(version)
            except Exception as exc:  # what a reader would be told
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(3):
            _change(source, n)
            publish(source, published)
    finally:
        done.set()
        reader.join(30)
    assert errors == [] and len(opened) > 10


def test_a_file_system_without_locks_is_said_plainly(tmp_path, source, monkeypatch):
    published = _published(tmp_path)
    for _ in range(2):
        publish(source, published)

    def no_locks(fd, how):  # NFS without a lock service answers so; no local file system can be made to
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(snapshots.fcntl, "flock", no_locks)
    with pytest.raises(snapshots.SnapshotLocksUnsupported, match="keep the data folder on a local disk"):
        publish(source, published)


def test_two_publications_in_a_row_while_a_reader_holds_the_version_before_write_changed_blocks_only(tmp_path, source):
    """An ingest publishes, then its daily email right after, while the web still holds the version before."""
    published = _published(tmp_path)
    for n in range(4):  # the first publications fill the rotation: the current version and its spares
        _change(source, n)
        publish(source, published)
    with holding_published(published):
        for n in (10, 11):
            _change(source, n)
            assert not publish(source, published).full_copy
    assert len(_versions(tmp_path)) <= 1 + snapshots.SPARES


def test_a_link_to_some_other_file_is_named_and_publishing_mends_it(tmp_path, source):
    published = _published(tmp_path)
    publish(source, published)
    other = tmp_path / "notes.txt"
    other.write_text("not a snapshot")
    published.unlink()
    published.symlink_to(other)
    with (
        pytest.raises(WarehouseCorrupt, match=r"which is not one of its versions.*index-terms"),
        holding_published(published),
    ):
        pass
    publish(source, published)
    assert other.read_text() == "not a snapshot" and _digest(published) == _digest(source)


@pytest.mark.parametrize("where", ["warehouse.snapshot.duckdb", "snapshots"])
def test_something_standing_where_the_snapshot_goes_is_named_and_left_alone(tmp_path, source, where):
    taken = tmp_path / where
    if where == "snapshots":
        taken.write_text("someone's file")
    else:
        taken.mkdir()
    with pytest.raises(snapshots.SnapshotPathTaken, match=f"{taken} is a .*move it away"):
        publish(source, _published(tmp_path))
    assert taken.exists() and (taken.is_dir() or taken.read_text() == "someone's file")
