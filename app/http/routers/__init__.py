"""One module per group of endpoints; handlers are dependency -> service -> response."""
