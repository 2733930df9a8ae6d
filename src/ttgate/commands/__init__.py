"""One module per command; `ttgate.cli` registers them."""
