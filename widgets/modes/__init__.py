"""Learning modes: a diagnostic, recall cards, quizzes, timed challenges, practice, explain prompts, a cheat
sheet, saved progress, spaced review across lessons and a class report for instructors.

State and logic live in plain classes (``DiagnosticRun``, ``Deck``, ``QuizSession``, ``ChallengeSet``,
``PracticeProblem``, ``ExplainPrompt``, ``ReviewSchedule``, ``ProgressStore``, ``Countdown``) that tests drive
without a browser; each widget (``Diagnostic``, ``RecallCards``, ``Quiz`` ...) wires one of them to
ipywidgets through :class:`~widgets.modes.base.ModeView`, and the quiz, challenge, practice, diagnostic and
review share one multiple-choice part (:mod:`widgets.modes.choice`).

Rooms, lowest first:

- ``content/``: the lessons' content files (package data in ``content/lessons``), their schema and the explain
  prompts' concept detector;
- ``progress/``: the progress record and its file format, the store, the spaced-review schedule;
- the views (this folder): markup, timer -> choice, base -> cards, quiz, challenge, practice, explain,
  diagnostic, review, cheat sheet -> lesson, dashboard, class_report;
- ``classroom/``: a class's progress summed up for the instructor, the report page, a made-up class.
"""
