"""The foundation the concerns build on: errors, params.yaml and its checks, paths, atomic writes, torch runtime."""
