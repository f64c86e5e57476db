"""The benchmarks run through `make bench`, never as part of the test suite."""
collect_ignore_glob = ["*"]
