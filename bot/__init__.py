"""jingmin (警民): wiring and platform edge of the community-police group-chat bot."""
