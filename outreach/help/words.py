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


def unique_designation(taken: set[str] | frozenset[str]) -> str:
    """A random designation that is not in ``taken`` (the organization's open requests).

    Two words give 4,096 names: random draws first, then a random one of those still free, and only
    when all 4,096 are in use a third word (262,144 more), drawn until a free one comes up."""
    for _ in range(16):
        candidate = designation()
        if candidate not in taken:
            return candidate
    free = [f"{adjective} {noun}" for adjective in ADJECTIVES for noun in NOUNS if f"{adjective} {noun}" not in taken]
    if free:
        return secrets.choice(free)
    while True:
        for _ in range(1000):
            candidate = f"{designation()} {secrets.choice(NOUNS)}"
            if candidate not in taken:
                return candidate
        candidate = f"{designation()} {secrets.randbelow(10**6)}"
        if candidate not in taken:
            return candidate
