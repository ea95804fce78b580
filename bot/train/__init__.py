"""Training the learned stage: labelled files in, a model file out (needs the `train` extra)."""
