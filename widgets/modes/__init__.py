"""Learning modes: recall cards, quizzes, timed challenges, practice, explain prompts, cheat sheet, progress."""
