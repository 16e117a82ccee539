"""Exercise checks: each lesson's exercises are checked by behaviour, never by reading source text.

``core`` holds the machinery (a check never raises in a notebook: it reports passed, not done yet, or
wrong with a hint); one module per lesson topic holds that lesson's checks.
"""
