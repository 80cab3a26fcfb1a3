"""The scripts here are run as programs by the tests; they train (or start processes) on
import, so pytest (``--doctest-modules`` in the test command) must not import them."""

collect_ignore = ["ignite_training_script.py", "ignite_handlers_script.py", "children_script.py"]
