"""One module per group of subcommands; ``app.cli`` loads them on demand."""
