"""A learner's progress: the file's format and what a record means (``record``), the store that reads and writes
it safely from several kernels (``store``), and the spaced-review schedule kept in it (``spaced``)."""
