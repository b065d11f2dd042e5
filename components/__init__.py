"""The Pulumi program's components.

The evaluators' package (``functions/evaluators``, shipped as the Lambda code) is importable from here
too, so the stack validates what the functions will read (rule parameters, exceptions) with the very
parsers the functions use, and the commands read annotations with the code that writes them.
"""

import sys
from pathlib import Path

FUNCTIONS_ROOT = Path(__file__).resolve().parent.parent / "functions"
if str(FUNCTIONS_ROOT) not in sys.path:
    sys.path.append(str(FUNCTIONS_ROOT))
