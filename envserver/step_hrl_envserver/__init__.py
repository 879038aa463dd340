"""step-hrl env server: ScienceWorld and ALFWorld behind an AgentGym-compatible HTTP protocol."""

import os as _os

__version__ = "0.1.0"

#: ``ALFWORLD_DATA`` as the user set it. Read before anything imports ``alfworld``, whose import
#: overwrites the variable with its own cache folder when it is unset.
USER_ALFWORLD_DATA = _os.environ.get("ALFWORLD_DATA") or None
