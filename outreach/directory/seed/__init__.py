"""``flask outreach content load``: seed content → database, validated first, in one transaction.

Every record's id is derived from its slug, so loading twice updates in place. Records that came
from content and are no longer in it are removed; records staff created (no slug) are never touched.
"""

from .files import ContentError, ContentProblem
from .loading import load_content, set_text
from .parsing import content_checksum, content_files, read_content

__all__ = ["ContentError", "ContentProblem", "content_checksum", "content_files", "load_content", "read_content", "set_text"]
