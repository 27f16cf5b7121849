"""Short venue names for al-folio's ``abbr`` badge: a built-in table plus
``[add.abbr]`` in pubtrack.toml ({"Full Venue Name" = "ABBR"}), which wins."""

from __future__ import annotations

import re

from pubtrack.identity import normalize_title

# Matched on the normalised venue name: the pattern must occur as whole words.
VENUES: list[tuple[str, str]] = [
    ("neural information processing systems", "NeurIPS"),
    ("neurips", "NeurIPS"),
    ("international conference on machine learning", "ICML"),
    ("international conference on learning representations", "ICLR"),
    ("computer vision and pattern recognition", "CVPR"),
    ("international conference on computer vision", "ICCV"),
    ("european conference on computer vision", "ECCV"),
    ("association for computational linguistics", "ACL"),
    ("empirical methods in natural language processing", "EMNLP"),
    ("north american chapter of the association for computational linguistics", "NAACL"),
    ("aaai conference on artificial intelligence", "AAAI"),
    ("international joint conference on artificial intelligence", "IJCAI"),
    ("knowledge discovery and data mining", "KDD"),
    ("research and development in information retrieval", "SIGIR"),
    ("the web conference", "WWW"),
    ("world wide web", "WWW"),
    ("human factors in computing systems", "CHI"),
    ("uncertainty in artificial intelligence", "UAI"),
    ("artificial intelligence and statistics", "AISTATS"),
    ("conference on robot learning", "CoRL"),
    ("robotics science and systems", "RSS"),
    ("journal of machine learning research", "JMLR"),
    ("transactions on pattern analysis and machine intelligence", "TPAMI"),
    ("transactions on machine learning research", "TMLR"),
    ("transactions of the association for computational linguistics", "TACL"),
    ("physical review letters", "PRL"),
    ("physical review d", "PRD"),
    ("physical review b", "PRB"),
    ("physical review a", "PRA"),
    ("physical review e", "PRE"),
    ("physical review x", "PRX"),
    ("nature communications", "Nat. Commun."),
    ("nature physics", "Nat. Phys."),
    ("proceedings of the national academy of sciences", "PNAS"),
    ("astrophysical journal", "ApJ"),
    ("monthly notices of the royal astronomical society", "MNRAS"),
    ("astronomy and astrophysics", "A&A"),
    ("journal of high energy physics", "JHEP"),
    ("string processing and information retrieval", "SPIRE"),
    ("plos pathogens", "PLoS Pathog."),
    ("plos one", "PLoS ONE"),
    ("nature", "Nature"),
    ("science", "Science"),
]


def abbreviation(venue: str, overrides: dict[str, str] | None = None) -> str | None:
    """The short name of a venue, or None when neither table knows it."""
    if not venue:
        return None
    for name, abbr in (overrides or {}).items():
        if normalize_title(name) == normalize_title(venue):
            return str(abbr)
    text = f" {normalize_title(venue)} "
    for pattern, abbr in VENUES:
        if pattern in ("nature", "science"):
            # Only the journal itself, not "Nature Physics" or "Computer Science".
            if text.strip() == pattern:
                return abbr
            continue
        if re.search(rf"\b{re.escape(pattern)}\b", text):
            return abbr
    return None
