import sys

from demo.generator import main

sys.exit(main())
