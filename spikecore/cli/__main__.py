import sys

from spikecore.cli import main

sys.exit(main())
