"""Voice: probing what users send, and what a voice answer says."""
