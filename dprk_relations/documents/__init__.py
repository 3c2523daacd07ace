"""Documents generated into each release from its schemas and data: the
codebook, the timeline figure and the release page."""

from __future__ import annotations


def documents(descriptor: dict, tables: dict, files: dict[str, bytes]) -> dict[str, bytes]:
    """Relative path -> bytes of every generated document.

    ``descriptor`` is the release's datapackage.json (a dict), ``tables`` the
    release tables (name -> derive.ReleaseTable), ``files`` the data files
    and descriptor written so far (relative path -> bytes).
    """
    from dprk_relations.documents.codebook import codebook
    from dprk_relations.documents.figure import timeline
    from dprk_relations.documents.page import release_page

    out: dict[str, bytes] = {}
    text = codebook(descriptor, tables)
    out["codebook.md"] = text.encode("utf-8")
    out.update(timeline(descriptor, tables))
    out["index.html"] = release_page(descriptor, tables, text, {**files, **out})
    return {path: data for path, data in out.items() if data}
