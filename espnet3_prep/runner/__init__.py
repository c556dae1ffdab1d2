"""Provider/Runner API (spec sections 1-3)."""
