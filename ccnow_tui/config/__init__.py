"""Profiles: ``load`` reads ``config.toml``, ``CCNOW_*`` variables and options into one set of
settings; ``write`` writes the setup form's profile into ``config.toml``.

Nothing is imported here: reading the config (every command) loads neither tomlkit nor
the store, and ``write`` is loaded only by what writes.
"""
