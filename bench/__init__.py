"""The benchmark harness: Hiregraph (compiled, dataloaders) against PostGraphile 5 and a hand-written SQL floor."""
