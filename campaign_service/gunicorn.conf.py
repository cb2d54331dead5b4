# Read by gunicorn from the working directory: its own errors are problem details too.
from careforall_common.gunicorn_config import *  # noqa: F403
