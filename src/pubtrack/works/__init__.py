"""The list keeps itself: add by id, import from profiles, discover, fix.

Modules: ``record`` (one work's metadata, whatever API it came from),
``ids`` (what the user typed -> an id), ``lookup`` (fetch a record, prefer the
published version), ``bibwrite`` (entry text, keys, byte-preserving edits),
``owner`` (is this author the owner?), ``add``, ``importer``, ``discover``,
``learned`` (what sync learned, per entry) and ``fix``.
"""
