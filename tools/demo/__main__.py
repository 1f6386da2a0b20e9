import sys

from tools.demo.sync_and_answer import main

sys.exit(main())
