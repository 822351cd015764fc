"""One module per group of commands (reads, send, offline) and what they work on (profile);
main() imports only the group of the command given."""
