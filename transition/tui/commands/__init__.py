"""Every command of the TUI, declared once: key, binding id, footer label, help text."""
