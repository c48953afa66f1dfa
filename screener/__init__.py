"""screener: read ML research papers, extract their research design, judge its validity threats."""

import warnings

__version__ = "0.1.0"

# "construct" is a validity type and so a field name; it shadows pydantic's deprecated
# BaseModel.construct classmethod, which nothing here uses.
warnings.filterwarnings("ignore", message='Field name "construct"', category=UserWarning)
