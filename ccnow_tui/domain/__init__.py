"""The textual-free domain: the staging area, the composer's tally, label files, and the
receiver's answers as the domain reads them.

Above the protocol and the store, below the client, the config, the CLI and the TUI.
Nothing is imported here: each command loads only the parts it uses.
"""
