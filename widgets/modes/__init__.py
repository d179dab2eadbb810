"""Learning modes: recall cards, quizzes, timed challenges, practice, explain prompts, cheat sheet, progress.

State and logic live in plain classes (``Deck``, ``QuizSession``, ``ChallengeSet``, ``PracticeProblem``,
``ExplainPrompt``, ``ProgressStore``, ``Countdown``) that tests drive without a browser; each widget
(``RecallCards``, ``Quiz`` ...) wires one of them to ipywidgets. Content comes from ``course/content/*.yaml``.
"""
