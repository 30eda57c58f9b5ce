"""candor: tell customers the truth during an incident, on every channel, and never go quiet."""
