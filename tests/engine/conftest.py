# every test in this folder starts from one random state, whatever ran before it (tests/support/seeds.py)
from seeds import same_random_state_for_every_test  # noqa: F401
