"""The TUI's modal forms, one module per family; ``base`` holds the form screen."""
