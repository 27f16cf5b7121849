"""python -m pubtrack.testing.fake_api"""

import sys

from pubtrack.testing.fake_api.server import main

sys.exit(main())
