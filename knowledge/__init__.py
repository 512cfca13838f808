"""The Notice corpus and the matcher that answers from it."""
