"""The web application: browse the published snapshot, search, feeds, and the subscription lifecycle."""
