"""The instructor's side: a class's progress files summed up (``summary``), the report page (``page``), and a
made-up class to try it on (``demo``)."""
