"""The bundled 20-newsgroups sample, read from a Python-2 pickle without ever running its code.

gensim's test data ships ``mini_newsgroup``: 200 posts from ``alt.atheism`` and ``sci.space``, as a
zlib-compressed protocol-0 pickle of a scikit-learn ``Bunch``. ``pickle.load`` on it would import
and call whatever the file names, so it is read with :class:`SafeUnpickler`, whose ``find_class``
hands out only stand-ins written here: a dict for the ``Bunch``, and placeholders that capture the
raw bytes of numpy arrays of a few plain dtypes (integers and fixed-width byte strings), decoded
afterwards with ``numpy.frombuffer``. Any other name in the file stops the load. Lesson 02 uses the
posts as a topic task; the cache keeps them as plain JSON lines.

>>> posts = read_mini_newsgroup()          # doctest: +SKIP
>>> len(posts["text"]), posts["label_names"]  # doctest: +SKIP
(200, ['alt.atheism', 'sci.space'])
"""

from __future__ import annotations

import io
import json
import pickle
import re
import zlib
from pathlib import Path

import numpy

FILE = "mini_newsgroup"
#: numpy dtypes an array in the file may have: plain integers and byte strings, never objects.
_ALLOWED_DTYPE = re.compile(r"^(i[1248]|u[1248]|S\d{1,4})$")


class UnsafePickle(pickle.UnpicklingError):
    """The file asks for something the safe reader does not hand out."""


class _Bunch(dict):
    """Stand-in for ``sklearn.datasets.base.Bunch``: only its dict contents are kept."""


class _DType:
    """Stand-in for ``numpy.dtype(name, align, copy)``: a whitelisted name and the byte order."""

    def __init__(self, name, align=0, copy=1):
        if not isinstance(name, str) or not _ALLOWED_DTYPE.match(name):
            raise UnsafePickle(f"array dtype {name!r} is not one of the plain dtypes allowed here.")
        self.name, self.order = name, "|"

    def __setstate__(self, state):
        self.order = state[1] if isinstance(state, tuple) and len(state) > 1 and state[1] in "<>|=" else "|"

    def numpy(self) -> numpy.dtype:
        return (
            numpy.dtype(self.name).newbyteorder(self.order) if self.order in "<>" else numpy.dtype(self.name)
        )


class _Array:
    """Stand-in for an ndarray: keeps ``(version, shape, dtype, fortran, raw bytes)`` from BUILD."""

    state = None

    def __setstate__(self, state):
        self.state = state

    def numpy(self) -> numpy.ndarray:
        _version, shape, dtype, fortran, raw = self.state
        if not isinstance(dtype, _DType) or fortran or not isinstance(raw, (str, bytes)):
            raise UnsafePickle("an array in the file is not a plain C-ordered array of an allowed dtype.")
        data = raw.encode("latin-1") if isinstance(raw, str) else raw
        return numpy.frombuffer(data, dtype=dtype.numpy()).reshape(tuple(int(n) for n in shape)).copy()


def _reconstruct_array(cls, shape, typecode):
    if cls is not _Array or tuple(shape) != (0,):
        raise UnsafePickle("numpy's _reconstruct called with unexpected arguments.")
    return _Array()


def _reconstruct_object(cls, base, state):
    if cls is not _Bunch or base is not dict or not (state is None or isinstance(state, dict)):
        raise UnsafePickle("copy_reg._reconstructor called for something other than a Bunch.")
    return _Bunch(state or {})


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the six names the newsgroups file uses, each to a stand-in."""

    ALLOWED = {
        ("copy_reg", "_reconstructor"): _reconstruct_object,
        ("sklearn.datasets.base", "Bunch"): _Bunch,
        ("__builtin__", "dict"): dict,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct_array,
        ("numpy", "ndarray"): _Array,
        ("numpy", "dtype"): _DType,
    }

    def find_class(self, module: str, name: str):
        try:
            return self.ALLOWED[module, name]
        except KeyError:
            raise UnsafePickle(
                f"the pickle asks for {module}.{name}, which the safe reader refuses."
            ) from None


def read_mini_newsgroup(path: Path | None = None) -> dict:
    """``{"text": [...], "label": [...], "label_names": [...]}`` of the bundled sample, read safely."""
    from tlcourse import corpora

    raw = zlib.decompress(Path(path or corpora.gensim_data(FILE)).read_bytes())
    # fix_imports=False: the Python-2 module names reach find_class as written, and nothing is remapped
    bunch = SafeUnpickler(io.BytesIO(raw), encoding="latin-1", fix_imports=False).load()
    if not isinstance(bunch, _Bunch):
        raise UnsafePickle(f"expected a Bunch at the top of the file, found {type(bunch).__name__}.")
    texts, target, names = bunch.get("data"), bunch.get("target"), bunch.get("target_names")
    if not (
        isinstance(texts, list) and all(isinstance(t, str) for t in texts) and isinstance(target, _Array)
    ):
        raise UnsafePickle("the Bunch does not hold a list of texts and a target array.")
    labels = target.numpy().astype(int).tolist()
    if len(labels) != len(texts) or not isinstance(names, list) or set(labels) - set(range(len(names))):
        raise UnsafePickle("texts, labels and label names do not match.")
    return {"text": texts, "label": labels, "label_names": [str(n) for n in names]}


_ATTRIBUTION = re.compile(r"(writes in|writes:|wrote:|says:|said:)\s*$")
#: Header lines that also turn up inside bodies (a forwarded post): they name the newsgroup.
_HEADER_LINE = re.compile(
    r"^\s*(To: )?(Newsgroups|From|Subject|Message-ID|Path|Date|Organization|Lines|Reply-To|Sender|References"
    r"|Distribution|NNTP-Posting-Host|Followup-To|Keywords|Summary|X-[\w-]+):",
    re.I,
)


def strip_headers(post: str) -> str:
    """The words a post's author wrote: e-mail headers (all before the first blank line), quoted lines
    (``>`` or ``|``), "someone writes:" lines, header lines of forwarded posts and the signature (after a
    ``--`` line) dropped,
    whitespace folded (much as scikit-learn's ``remove=("headers", "footers", "quotes")``). A post
    that is all quotes keeps its quoted text."""
    head, sep, body = post.partition("\n\n")
    body = body if sep else head
    lines = body.splitlines()
    signature = [i for i, line in enumerate(lines) if line.rstrip() == "--" or line.startswith("-- ")]
    body = "\n".join(lines[: signature[-1]]) if signature and signature[-1] > 0 else body
    own = [
        line
        for line in body.splitlines()
        if not line.lstrip().startswith((">", "|"))
        and not _ATTRIBUTION.search(line)
        and not _HEADER_LINE.match(line)
    ]
    text = " ".join(" ".join(own).split())
    return text or " ".join(body.replace(">", " ").split())


def build(folder: Path) -> None:
    """Write ``posts.jsonl`` (text without headers, label) and ``label_names.json`` from the pickle."""
    posts = read_mini_newsgroup()
    with open(folder / "posts.jsonl", "w", encoding="utf-8") as handle:
        for text, label in zip(posts["text"], posts["label"]):
            handle.write(json.dumps({"text": strip_headers(text), "label": label}) + "\n")
    (folder / "label_names.json").write_text(json.dumps(posts["label_names"]), encoding="utf-8")


def load(folder: Path):
    """The posts as a ``datasets.Dataset`` (``text``, ``label``, ``folds``), with the course's fixed folds."""
    import datasets

    from tlcourse import folds

    rows = [
        json.loads(line) for line in (Path(folder) / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    names = json.loads((Path(folder) / "label_names.json").read_text(encoding="utf-8"))
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=names)}
    )
    dataset = datasets.Dataset.from_dict(
        {"text": [r["text"] for r in rows], "label": [r["label"] for r in rows]}, features=features
    )
    return folds.with_folds(dataset)
