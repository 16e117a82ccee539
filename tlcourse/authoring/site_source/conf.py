"""Sphinx configuration of the course's website: ``python -m tlcourse build-site`` copies it beside the
executed lessons and builds with ``-W`` (every warning is an error).

Every page loads only what the site serves; the comments name the defaults that would reach outside.
"""

from tlcourse import project as repository

project = "Transfer learning in NLP"
author = "the tlcourse authors"
copyright = "the tlcourse authors. Code Apache-2.0, lesson prose CC BY 4.0"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
myst_enable_extensions = ["substitution"]
myst_substitutions = {
    "repository_link": f"[{repository.github_url()}]({repository.github_url()})",
    "pip_url": repository.pip_url(),
    "colab_00": repository.colab_url("lessons/00_map_of_transfer.ipynb"),
    "binder_00": repository.binder_url("lessons/00_map_of_transfer.ipynb"),
}

# build-site executed the lessons already (a fresh cache, the tiny profile); Sphinx only renders them.
nb_execution_mode = "off"
# Widget state is stripped; an empty value also keeps require.js and the widget manager (two CDNs) out.
nb_ipywidgets_js = {}
nb_merge_streams = True
# No lesson writes mathematics, so no page loads MathJax (Sphinx would take it from a CDN, which the browser
# test would report). $...$ stays as text: a lesson that needs math must first bring MathJax into the site
# (a local MathJax 2 from the jupyter-server-mathjax wheel typeset but logged a font error: not done yet).

html_theme = "sphinx_book_theme"
html_title = project
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_show_sourcelink = False
html_copy_source = False
# The theme's light/dark switch logs a console error when no default mode is set.
html_context = {"default_mode": "light"}
html_theme_options = {
    "repository_url": repository.github_url(),
    "repository_branch": repository.BRANCH,
    "path_to_docs": "",
    "use_repository_button": True,
    # The launch menu links Colab and Binder from the one repository address (no badge images to load).
    "launch_buttons": {
        "colab_url": "https://colab.research.google.com",
        "binderhub_url": "https://mybinder.org",
        "notebook_interface": "jupyterlab",
    },
    "show_navbar_depth": 1,
    "home_page_in_toc": True,
}
