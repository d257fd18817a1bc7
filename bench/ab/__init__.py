"""A/B runs: two sides (two software stacks, or two versions of a scenario) interleaved cell
by cell in one run, so whatever the machine does during the run it does to both.

`plan` (which sides, and the interleaved order: pure), `load` (the host's, the driver
tree's and the other processes' busy cores during a cell, from /proc), `driver` (the
long-lived driver process of one side: `python -m bench.ab.driver`, talking JSON lines),
`sides` (starting and talking to the two drivers) and `run` (the run itself, --resume
included). `compare` judges an A/B folder pairing each twin by block (bench.compare).
"""
