"""The course build: lessons in sources/ → decks, handouts and notebooks in build/."""
