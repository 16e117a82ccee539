"""Maintainer tools: writing ``lessons/`` from ``solutions/`` and the README's lesson table.

``python -m tlcourse build-lessons`` runs them; lessons and the learner modules never import them.
"""
