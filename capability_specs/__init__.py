"""Generated capability specs, one JSON file per Navidrome release (package data)."""
