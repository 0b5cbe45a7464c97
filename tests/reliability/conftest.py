"""``_worker.py`` is a script the tests run in other processes, not a module to collect."""

collect_ignore = ["_worker.py"]
