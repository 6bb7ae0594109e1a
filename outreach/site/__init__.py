"""Plain pages every resident may need: browsing safely, privacy, about, for organizations."""
