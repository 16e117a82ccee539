"""tlcourse: the companion package of a course on transfer learning in NLP.

Import the module you need, qualified: ``from tlcourse import env`` then ``env.setup(seed=0)``.
Nothing runs at import time.
"""

__version__ = "0.1.0"
