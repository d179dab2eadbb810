"""Fine-tuning in plain PyTorch: no course data, no UI, so all of it is testable without a browser.

Floors, bottom up (a module imports only from floors below it): ``checks``, ``params``, ``seeding``,
``history``, ``optimizers``, ``images`` -> ``freezing``, ``schedules`` -> ``features``, ``hooks``, ``batches``,
``similarity``, ``stacked`` -> ``forgetting`` -> ``training`` -> ``sweep``, ``finder``.
"""
