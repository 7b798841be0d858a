"""``python -m redline``.

``python -m`` puts the current directory first on ``sys.path``; when redline is
started from inside the tree it reviews, a ``json.py`` or ``re.py`` there would be
imported instead of the standard library. Drop that entry before importing anything.
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from redline.cli import main  # noqa: E402

raise SystemExit(main())
