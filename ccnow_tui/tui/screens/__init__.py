"""The screens of the TUI: queue (home), detail, composer, and the modal dialogs."""
