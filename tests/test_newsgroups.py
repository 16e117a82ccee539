"""The newsgroups sample: read from its pickle without running code, and nothing else gets through."""

from __future__ import annotations

import io
import pickle
import zlib

import numpy
import pytest

from tlcourse import assets, newsgroups


def test_reads_the_bundled_pickle():
    posts = newsgroups.read_mini_newsgroup()
    assert len(posts["text"]) == 200 and posts["label_names"] == ["alt.atheism", "sci.space"]
    assert sorted(numpy.bincount(posts["label"]).tolist()) == [100, 100]
    assert all(isinstance(text, str) and text for text in posts["text"])


def _unpickle(data: bytes):
    return newsgroups.SafeUnpickler(io.BytesIO(data), encoding="latin-1", fix_imports=False).load()


class Harmless:  # pickled by reference: a real unpickler would import and call it
    def __reduce__(self):
        return (print, ("this must never run",))


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(Harmless(), protocol=0),
        pickle.dumps(Harmless(), protocol=4),
        b"cos\nsystem\n(S'true'\ntR.",
    ],
)
def test_refuses_anything_not_allowed(payload, capsys):
    with pytest.raises(newsgroups.UnsafePickle, match="refuses"):
        _unpickle(payload)
    assert "must never run" not in capsys.readouterr().out


def test_refuses_object_arrays(tmp_path):
    payload = b"cnumpy\ndtype\n(S'O8'\nI0\nI1\ntR."
    with pytest.raises(newsgroups.UnsafePickle, match="dtype"):
        _unpickle(payload)
    path = tmp_path / "bad"
    path.write_bytes(zlib.compress(b"(dp0\nS'data'\np1\nI1\ns."))
    with pytest.raises(newsgroups.UnsafePickle, match="Bunch"):
        newsgroups.read_mini_newsgroup(path)


def test_strip_headers_quotes_and_signature():
    post = (
        "From: a@b.c\nNewsgroups: sci.space\nSubject: orbits\n\nIn article <1@x> bob writes:\n> quoted line\n"
        "My own words\nhere.\n-- \nBob, NASA"
    )
    assert newsgroups.strip_headers(post) == "My own words here."
    assert newsgroups.strip_headers("H: x\n\n> all quoted") == "all quoted"


def test_the_asset_has_folds_and_no_headers(shared_cache):
    posts = assets.load("newsgroups", "tiny")
    assert len(posts) == 200 and numpy.asarray(posts["folds"]).shape == (200, 5)
    assert not any("Newsgroups:" in text or "Subject:" in text for text in posts["text"])
