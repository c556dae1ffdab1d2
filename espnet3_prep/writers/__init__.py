"""Writers that merge finished shards into a split's outputs (one file per format)."""
