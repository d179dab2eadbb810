"""Learning modes: a diagnostic, recall cards, quizzes, timed challenges, practice, explain prompts, a cheat
sheet, saved progress, spaced review across lessons and a class report for instructors.

State and logic live in plain classes (``DiagnosticRun``, ``Deck``, ``QuizSession``, ``ChallengeSet``,
``PracticeProblem``, ``ExplainPrompt``, ``Leitner``, ``ProgressStore``, ``Countdown``) that tests drive
without a browser; each widget (``Diagnostic``, ``RecallCards``, ``Quiz`` ...) wires one of them to
ipywidgets through :class:`~widgets.modes.base.ModeView`, and the quiz, challenge, practice, diagnostic and
review share one multiple-choice part (:mod:`widgets.modes.choice`). Content comes from
``course/content/*.yaml``.

Layers, lowest first: schema/concepts -> content, progress_file -> store, spaced, timer, markup -> choice,
base -> the views -> lesson, progress -> report.
"""
