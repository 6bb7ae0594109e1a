"""Random two-word designations ("amber heron") that staff use to talk about a request.

Drawn at random, never derived from the request, so they say nothing about it.
"""
from __future__ import annotations

import secrets

ADJECTIVES = (
    "amber", "azure", "bright", "calm", "cedar", "clear", "coral", "crisp", "dawn", "deep", "early", "fern",
    "gentle", "golden", "green", "hazel", "honest", "indigo", "ivory", "jade", "kind", "late", "light", "linen",
    "lunar", "maple", "mellow", "misty", "noble", "north", "oaken", "olive", "open", "pale", "patient", "pearl",
    "plain", "quiet", "rapid", "river", "rosy", "ruby", "sage", "sandy", "silver", "slate", "soft", "solar",
    "spring", "steady", "still", "stone", "summer", "sunny", "swift", "tidal", "true", "velvet", "warm", "west",
    "wild", "willow", "winter", "young",
)
NOUNS = (
    "acorn", "badger", "beacon", "birch", "bison", "brook", "canyon", "cardinal", "cloud", "comet", "crane",
    "creek", "delta", "dove", "falcon", "feather", "finch", "fjord", "fox", "garden", "glade", "grove", "harbor",
    "hawk", "heron", "hill", "island", "juniper", "lake", "lantern", "lark", "leaf", "meadow", "mesa", "moon",
    "moss", "otter", "owl", "pebble", "pine", "plover", "pond", "prairie", "quail", "rain", "reed", "ridge",
    "robin", "sparrow", "spruce", "star", "stream", "swallow", "thistle", "thrush", "trail", "valley", "wave",
    "wren", "yarrow", "aspen", "bay", "cove", "dune",
)


def designation() -> str:
    return f"{secrets.choice(ADJECTIVES)} {secrets.choice(NOUNS)}"
