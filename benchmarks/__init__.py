"""Benchmarks of tinygrad_gd against hand-written NumPy, micrograd and PyTorch (measurement only).

Run them all with `bash benchmarks/run.sh` (sets up `.venv-bench` first) or, inside that
environment, `python -m benchmarks`. One module per benchmark of issue 6:

    tiny_step.py   1. the documents' multi-input network, one full training step
    node.py        2. per-node overhead: a chain of 100 elementwise ops, forward and backward
    mlp.py         3. float32 MLP training steps; NumPy side and PyTorch side in separate processes
    deep.py        4. backward through chains of up to 1,000,000 ops: time per node, memory, cycles
    loop.py        5. memory over 10,000 training steps of the MNIST 784 -> 10 network
    profile_engine.py   cProfile hotspots of the engine in the same scenarios (`--profile`)
    against.py     the working tree's engine against a git revision, interleaved (`--against REV`),
                   or each in its own process, alternating (`--processes`)
    harness.py     the timing method (interleaved rounds, medians, round-by-round ratios),
                   thread pinning, machine description and the tables

None of this is part of the test suite, and nothing here changes the package.
"""
