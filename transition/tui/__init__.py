"""The terminal UI (Textual). Only ``transition tui``/``transition``/``transition demo``
import this package; the rest of the tool never imports Textual."""
