"""Where the course lives: the one place that holds the repository's public address.

Every badge, install link and Colab URL is generated from these names (lesson 00 shows them).
"""

from __future__ import annotations

#: GitHub owner/name of the course repository. Change it here and run ``python -m tlcourse build-lessons``.
REPOSITORY = "tlcourse/tlcourse"
#: The branch that badges and install links point to.
BRANCH = "main"


def github_url() -> str:
    """The repository's web address, e.g. ``https://github.com/tlcourse/tlcourse``."""
    return f"https://github.com/{REPOSITORY}"


def pip_url() -> str:
    """What ``pip install`` takes to install the package straight from the repository."""
    return f"git+{github_url()}@{BRANCH}"


def colab_url(notebook: str) -> str:
    """The "Open in Colab" address of a notebook path such as ``lessons/00_map_of_transfer.ipynb``."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook}"


def binder_url(notebook: str) -> str:
    """The "launch binder" address that opens JupyterLab on ``notebook`` (a path in the repository)."""
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?urlpath=lab/tree/{notebook}"


def badges(notebook: str) -> str:
    """The Markdown line of "Open in Colab" and "launch binder" badges for ``notebook``."""
    colab = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    return f"{colab}({colab_url(notebook)}) [![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(notebook)})"


def site_url() -> str:
    """The course's website on GitHub Pages, e.g. ``https://tlcourse.github.io/tlcourse/``."""
    owner, name = REPOSITORY.split("/")
    if name.lower() == f"{owner.lower()}.github.io":  # a user or organisation site is served at the root
        return f"https://{name.lower()}/"
    return f"https://{owner.lower()}.github.io/{name}/"
