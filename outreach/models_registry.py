"""Imports every model module so SQLAlchemy's metadata (and Alembic) see all tables."""
from .directory import models as directory_models  # noqa: F401
from .i18n import models as i18n_models  # noqa: F401
from .geo import models as geo_models  # noqa: F401
from .search import models as search_models  # noqa: F401
from .accounts import models as accounts_models  # noqa: F401
from .audit import models as audit_models  # noqa: F401
from .help import models as help_models  # noqa: F401
from .insights import models as insights_models  # noqa: F401
from .listings import models as listings_models  # noqa: F401
from .campaigns import models as campaigns_models  # noqa: F401
from . import caching as caching_models  # noqa: F401
