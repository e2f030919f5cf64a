"""Research code: theory closed forms, the seed figures, the mixture table, benchmarks. The core never imports it."""
